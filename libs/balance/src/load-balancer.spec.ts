import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BALANCER_KINDS, createBalancer } from './create-balancer';
import { BalanceError } from './errors';
import { ManualClock, seededRandom } from './seeded-random';
import type { BalancerKind, Endpoint, EndpointUpdate } from './types';

const ep = (id: string, weight = 1): Endpoint<string> => ({ id, weight, value: `addr-${id}` });

// Small hash tables keep the many rebuilds of the property tests cheap; the logic is the same.
const SMALL_TABLES = { maglevTableSize: 1_009, minRingSize: 64, ringEntriesPerEndpoint: 8 };

function balancer(kind: BalancerKind, seed = 1) {
  const clock = new ManualClock(1_000);
  return { clock, b: createBalancer<string>(kind, { clock, random: seededRandom(seed), ...SMALL_TABLES }) };
}

function pickedId(b: { picker: { pick(key?: string): { kind: string; endpoint?: Endpoint<string> } } }, key?: string) {
  const r = b.picker.pick(key);
  return r.kind === 'picked' ? r.endpoint?.id : undefined;
}

describe.each(BALANCER_KINDS)('%s balancer', (kind) => {
  it('returns no-endpoint when empty and after close, and close is idempotent', () => {
    const { b } = balancer(kind);
    expect(b.picker.pick('k')).toEqual({ kind: 'no-endpoint' });
    b.update({ type: 'reset', endpoints: [ep('a'), ep('b')] });
    expect(b.size()).toBe(2);
    expect(['a', 'b']).toContain(pickedId(b, 'k'));
    b.close();
    b.close();
    expect(b.picker.pick('k')).toEqual({ kind: 'no-endpoint' });
    b.update({ type: 'add', endpoints: [ep('c')] });
    expect(b.size()).toBe(0);
  });

  it("shows an endpoint's load for introspection: in flight, and the peak-EWMA cost that counts them", () => {
    const { clock, b } = balancer(kind);
    b.update({ type: 'reset', endpoints: [ep('a'), ep('b')] });
    const idle = b.loadOf('a');
    const handle = b.start('a');
    clock.advance(10);
    expect(b.loadOf('a')).toMatchObject({ pending: 1, active: 1 });
    expect(b.loadOf('a')?.cost).toBeCloseTo(2 * (b.loadOf('a')?.rttMs ?? 0), 9);
    handle.end();
    expect(b.loadOf('a')).toMatchObject({ pending: 0, active: 0 });
    expect(idle?.rttMs).toBeGreaterThan(0);
    expect(b.loadOf('gone')).toBeUndefined();
  });

  it('returns the only endpoint directly', () => {
    const { b } = balancer(kind);
    b.update({ type: 'add', endpoints: [ep('solo')] });
    for (let i = 0; i < 10; i++) expect(pickedId(b, `k${i}`)).toBe('solo');
  });

  it('rejects a non-positive weight with a typed error and keeps the previous endpoints', () => {
    const { b } = balancer(kind);
    b.update({ type: 'reset', endpoints: [ep('a')] });
    const bad = () => b.update({ type: 'add', endpoints: [ep('b', 0)] });
    expect(bad).toThrow(BalanceError);
    expect(bad).toThrow(/weight must be a finite number > 0/);
    expect(() => b.update({ type: 'reset', endpoints: [ep('')] })).toThrow(/non-empty/);
    expect(b.size()).toBe(1);
    expect(pickedId(b)).toBe('a');
  });

  it('lets requests in flight to a removed endpoint finish without disturbing the rest', () => {
    const { b, clock } = balancer(kind);
    b.update({ type: 'reset', endpoints: [ep('a'), ep('b')] });
    const h = b.start('a');
    b.update({ type: 'remove', ids: ['a'] });
    clock.advance(5);
    expect(() => {
      h.firstByte();
      h.end();
      h.end();
    }).not.toThrow();
    expect(() => b.start('gone').end()).not.toThrow();
    for (let i = 0; i < 20; i++) expect(pickedId(b, `k${i}`)).toBe('b');
  });

  it('never picks a removed endpoint (property)', () => {
    const ids = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f');
    const update: fc.Arbitrary<EndpointUpdate<string>> = fc.oneof(
      fc.record({ type: fc.constant('reset' as const), endpoints: fc.uniqueArray(ids).map((xs) => xs.map((id) => ep(id, 1 + id.charCodeAt(0) % 3))) }),
      fc.record({ type: fc.constant('add' as const), endpoints: fc.uniqueArray(ids).map((xs) => xs.map((id) => ep(id))) }),
      fc.record({ type: fc.constant('remove' as const), ids: fc.uniqueArray(ids) }),
    );
    fc.assert(
      fc.property(fc.array(update, { maxLength: 12 }), fc.nat(), (updates, seed) => {
        const { b, clock } = balancer(kind, seed);
        const live = new Set<string>();
        const handles = [];
        for (const u of updates) {
          b.update(u);
          if (u.type === 'reset') live.clear();
          if (u.type === 'remove') u.ids.forEach((id) => live.delete(id));
          else u.endpoints.forEach((e) => live.add(e.id));
          expect(b.size()).toBe(live.size);
          for (let i = 0; i < 20; i++) {
            const id = pickedId(b, `key-${i}`);
            if (live.size === 0) expect(id).toBeUndefined();
            else expect(live.has(id ?? '')).toBe(true);
            if (id !== undefined) handles.push(b.start(id));
            clock.advance(1);
          }
          handles.splice(0, handles.length / 2).forEach((h) => h.end());
        }
      }),
      { numRuns: 40 },
    );
  });
});

describe('peak-ewma balancer', () => {
  it('steers away from an endpoint whose RTT peaked until pending load on the other costs more', () => {
    const { b, clock } = balancer('peak-ewma');
    b.update({ type: 'reset', endpoints: [ep('fast'), ep('slow')] });
    const slow = b.start('slow');
    clock.advance(2_000);
    slow.firstByte();
    slow.end();
    for (let i = 0; i < 50; i++) expect(pickedId(b)).toBe('fast');
    // Pending requests raise the fast endpoint's cost: 100 in flight cost 30 ms x 101 > 2000 ms.
    const inflight = Array.from({ length: 100 }, () => b.start('fast'));
    expect(pickedId(b)).toBe('slow');
    inflight.forEach((h) => h.end());
  });

  it('counts pending requests until the first byte in the cost', () => {
    const { b } = balancer('peak-ewma');
    b.update({ type: 'reset', endpoints: [ep('a'), ep('b')] });
    const h = b.start('a');
    for (let i = 0; i < 20; i++) expect(pickedId(b)).toBe('b');
    h.firstByte();
    const seen = new Set(Array.from({ length: 50 }, () => pickedId(b)));
    expect(seen).toEqual(new Set(['a', 'b']));
  });

  it('picks two distinct candidates: the costlier of two endpoints is never picked', () => {
    const { b } = balancer('peak-ewma', 7);
    b.update({ type: 'reset', endpoints: [ep('a'), ep('b')] });
    const h = b.start('b');
    for (let i = 0; i < 200; i++) expect(pickedId(b)).toBe('a');
    h.end();
  });
});

describe('least-request balancer', () => {
  it('prefers the endpoint with fewer active requests, which count until end', () => {
    const { b } = balancer('least-request');
    b.update({ type: 'reset', endpoints: [ep('a'), ep('b')] });
    const h = b.start('a');
    h.firstByte();
    const counts = { a: 0, b: 0 };
    for (let i = 0; i < 400; i++) counts[pickedId(b) as 'a' | 'b'] += 1;
    // With replacement, both candidates are 'a' a quarter of the time.
    expect(counts.a / 400).toBeGreaterThan(0.15);
    expect(counts.a / 400).toBeLessThan(0.35);
    h.end();
  });

  it('with unequal weights shares by weight / (active + 1)', () => {
    const { b } = balancer('least-request');
    b.update({ type: 'reset', endpoints: [ep('a', 2), ep('b', 1)] });
    const busy = [b.start('a'), b.start('a'), b.start('a')];
    const counts = { a: 0, b: 0 };
    for (let i = 0; i < 600; i++) counts[pickedId(b) as 'a' | 'b'] += 1;
    // a: 2 / 4 = 0.5, b: 1 / 1 = 1, so b gets about two thirds.
    expect(counts.b / 600).toBeCloseTo(2 / 3, 1);
    busy.forEach((h) => h.end());
  });

  it('validates its options', () => {
    const clock = new ManualClock();
    expect(() => createBalancer('least-request', { clock, random: Math.random, choiceCount: 1 })).toThrow(/choiceCount/);
    expect(() => createBalancer('maglev', { clock, random: Math.random, maglevTableSize: 65_536 })).toThrow(/prime/);
    expect(() => createBalancer('nope' as BalancerKind, { clock, random: Math.random })).toThrow(/unknown balancer kind/);
  });
});
