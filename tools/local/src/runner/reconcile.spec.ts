import { describe, expect, it } from 'vitest';
import type { ReplicaPhase, ReplicaView } from './reconcile';
import { planActions } from './reconcile';

const replica = (id: string, phase: ReplicaPhase, ordinal: number, signature = 's1', workload = 'demo/web'): ReplicaView => ({
  id,
  workload,
  signature,
  phase,
  ordinal,
});

describe('planActions', () => {
  it('starts the missing replicas of a new workload', () => {
    expect(planActions([{ key: 'demo/web', signature: 's1', replicas: 3 }], [])).toEqual([{ type: 'start', workload: 'demo/web', count: 3 }]);
  });

  it('does nothing when actual matches desired', () => {
    const actual = [replica('a', 'ready', 1), replica('b', 'starting', 2)];
    expect(planActions([{ key: 'demo/web', signature: 's1', replicas: 2 }], actual)).toEqual([]);
  });

  it('stops the surplus: crashed first, then starting, then the newest ready', () => {
    const actual = [replica('old', 'ready', 1), replica('new', 'ready', 4), replica('crashed', 'backoff', 2), replica('booting', 'starting', 3)];
    const stops = (n: number) =>
      planActions([{ key: 'demo/web', signature: 's1', replicas: n }], actual).map((a) => (a.type === 'stop' ? a.id : a.type));
    expect(stops(3)).toEqual(['crashed']);
    expect(stops(2)).toEqual(['crashed', 'booting']);
    expect(stops(1)).toEqual(['crashed', 'booting', 'new']);
    expect(stops(0)).toEqual(['crashed', 'booting', 'new', 'old']);
  });

  it('ignores replicas already stopping when counting', () => {
    const actual = [replica('a', 'stopping', 1), replica('b', 'ready', 2)];
    expect(planActions([{ key: 'demo/web', signature: 's1', replicas: 2 }], actual)).toEqual([{ type: 'start', workload: 'demo/web', count: 1 }]);
  });

  it('stops every replica of a workload that is no longer desired', () => {
    const actual = [replica('a', 'ready', 1), replica('b', 'stopping', 2), replica('c', 'ready', 1, 's1', 'demo/api')];
    expect(planActions([{ key: 'demo/api', signature: 's1', replicas: 1 }], actual)).toEqual([
      { type: 'stop', id: 'a', reason: 'deployment removed from local mode' },
    ]);
  });

  it('replaces replicas of a changed deployment once the new ones are ready', () => {
    const desired = [{ key: 'demo/web', signature: 's2', replicas: 2 }];
    const before = [replica('o1', 'ready', 1), replica('o2', 'ready', 2)];
    expect(planActions(desired, before)).toEqual([{ type: 'start', workload: 'demo/web', count: 2 }]);

    const surging = [...before, replica('n1', 'ready', 3, 's2'), replica('n2', 'starting', 4, 's2')];
    expect(planActions(desired, surging)).toEqual([]);

    const crashedOld = [replica('o1', 'backoff', 1), replica('o2', 'ready', 2), replica('n1', 'starting', 3, 's2'), replica('n2', 'starting', 4, 's2')];
    expect(planActions(desired, crashedOld)).toEqual([{ type: 'stop', id: 'o1', reason: 'deployment changed' }]);

    const ready = [...before, replica('n1', 'ready', 3, 's2'), replica('n2', 'ready', 4, 's2')];
    expect(planActions(desired, ready).map((a) => (a.type === 'stop' ? a.id : a.type))).toEqual(['o1', 'o2']);
  });
});
