import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { LeaderElector, createMemoryLeaseStore } from './leader-election';

const logger = pino({ level: 'silent' });

describe('LeaderElector', () => {
  it('lets exactly one of two replicas hold the lease, and the other take over after it expires', async () => {
    let now = 0;
    const store = createMemoryLeaseStore();
    const a = new LeaderElector({ store, identity: 'a', logger, clock: () => now });
    const b = new LeaderElector({ store, identity: 'b', logger, clock: () => now });
    expect(await a.tryAcquireOrRenew()).toBe(true);
    expect(await b.tryAcquireOrRenew()).toBe(false);
    for (let i = 0; i < 20; i++) {
      now += 2000;
      await a.tryAcquireOrRenew();
      await b.tryAcquireOrRenew();
      expect([a.isLeader(), b.isLeader()]).toEqual([true, false]);
    }
    // a stops renewing (crashed): b waits a whole lease duration of unchanged record, then acquires.
    for (let i = 0; i < 7; i++) {
      now += 2000;
      expect(await b.tryAcquireOrRenew()).toBe(false);
    }
    now += 2000;
    expect(await b.tryAcquireOrRenew()).toBe(true);
    expect(a.isLeader()).toBe(false);
    const lease = await store.get();
    expect(lease?.record).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
  });

  it('never has two leaders when both race on every round', async () => {
    let now = 0;
    const store = createMemoryLeaseStore();
    const electors = ['a', 'b', 'c'].map((identity) => new LeaderElector({ store, identity, logger, clock: () => now }));
    for (let i = 0; i < 30; i++) {
      await Promise.all(electors.map((e) => e.tryAcquireOrRenew()));
      expect(electors.filter((e) => e.isLeader())).toHaveLength(1);
      now += 2000;
    }
  });

  it('gives the lease up on close so another replica acquires it at once', async () => {
    const store = createMemoryLeaseStore();
    const changes: boolean[] = [];
    const a = new LeaderElector({ store, identity: 'a', logger, onChange: (l) => changes.push(l) });
    const b = new LeaderElector({ store, identity: 'b', logger });
    await a.tryAcquireOrRenew();
    await a.close();
    await a.close();
    expect(a.isLeader()).toBe(false);
    expect(changes).toEqual([true, false]);
    expect(await b.tryAcquireOrRenew()).toBe(true);
  });

  it('stops being leader when renewals fail past the renew deadline', async () => {
    let now = 0;
    let failing = false;
    const memory = createMemoryLeaseStore();
    const store = { ...memory, update: async (r: Parameters<typeof memory.update>[0], v: string) => (failing ? Promise.reject(new Error('api down')) : memory.update(r, v)) };
    const a = new LeaderElector({ store, identity: 'a', logger, clock: () => now });
    await a.tryAcquireOrRenew();
    failing = true;
    now += 9000;
    await a.tryAcquireOrRenew();
    expect(a.isLeader()).toBe(true);
    now += 1000;
    await a.tryAcquireOrRenew();
    expect(a.isLeader()).toBe(false);
  });
});
