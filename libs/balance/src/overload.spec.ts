import { describe, expect, it } from 'vitest';
import { OverloadState, type OverloadSample } from './overload';
import { ManualClock } from './seeded-random';

const triggers = {
  stop_accepting_connections: { heapRatio: 0.8, loopDelayMs: 500 },
  shed_requests: { heapRatio: 0.9, loopDelayMs: 1_000 },
};

function manager() {
  const clock = new ManualClock();
  const state = new OverloadState({ clock, triggers, recoveryRatio: 0.9, recoveryMs: 2_000 });
  return { clock, state };
}

const sample = (heapRatio: number, loopDelayMs = 0): OverloadSample => ({ heapRatio, loopDelayMs });

describe('OverloadState', () => {
  // Each row: advance the clock by `afterMs`, apply the sample, expect the transitions and both actions' states.
  const rows: { afterMs: number; sample: OverloadSample; changed: string[]; stop: boolean; shed: boolean }[] = [
    { afterMs: 0, sample: sample(0.5), changed: [], stop: false, shed: false },
    { afterMs: 1_000, sample: sample(0.8), changed: ['stop_accepting_connections:on'], stop: true, shed: false },
    { afterMs: 1_000, sample: sample(0.95), changed: ['shed_requests:on'], stop: true, shed: true },
    // Below the shed threshold but above its recovery line (0.81): still shedding, no calm timer.
    { afterMs: 1_000, sample: sample(0.85), changed: [], stop: true, shed: true },
    // Calm for shedding (< 0.81) but not for stop-accepting (0.72): the shed calm timer starts.
    { afterMs: 1_000, sample: sample(0.75), changed: [], stop: true, shed: true },
    { afterMs: 1_999, sample: sample(0.75), changed: [], stop: true, shed: true },
    { afterMs: 1, sample: sample(0.75), changed: ['shed_requests:off'], stop: true, shed: false },
    // Calm for both: stop-accepting's timer starts now.
    { afterMs: 1_000, sample: sample(0.5), changed: [], stop: true, shed: false },
    // A spike over the recovery line restarts the calm timer.
    { afterMs: 1_000, sample: sample(0.75), changed: [], stop: true, shed: false },
    { afterMs: 1_000, sample: sample(0.5), changed: [], stop: true, shed: false },
    { afterMs: 1_999, sample: sample(0.5), changed: [], stop: true, shed: false },
    { afterMs: 1, sample: sample(0.5), changed: ['stop_accepting_connections:off'], stop: false, shed: false },
    // Event-loop delay alone triggers both, in order of severity.
    { afterMs: 1_000, sample: sample(0.1, 1_200), changed: ['stop_accepting_connections:on', 'shed_requests:on'], stop: true, shed: true },
  ];

  it('moves each action on its own thresholds, with hysteresis on the way back', () => {
    const { clock, state } = manager();
    rows.forEach((row, i) => {
      clock.advance(row.afterMs);
      const changed = state.update(row.sample).map((t) => `${t.action}:${t.active ? 'on' : 'off'}`);
      expect({ i, changed, stop: state.isActive('stop_accepting_connections'), shed: state.isActive('shed_requests') }).toEqual({
        i,
        changed: row.changed,
        stop: row.stop,
        shed: row.shed,
      });
    });
  });

  it('refuses thresholds that would never let an action rest', () => {
    const clock = new ManualClock();
    expect(() => new OverloadState({ clock, triggers: { ...triggers, shed_requests: { heapRatio: 0, loopDelayMs: 1 } }, recoveryRatio: 0.9, recoveryMs: 1 })).toThrow(RangeError);
    expect(() => new OverloadState({ clock, triggers, recoveryRatio: 1.5, recoveryMs: 1 })).toThrow(RangeError);
  });
});
