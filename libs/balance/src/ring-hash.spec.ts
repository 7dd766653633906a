import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createBalancer } from './create-balancer';
import { ringEntryCounts } from './ring-hash';
import { ManualClock, seededRandom } from './seeded-random';
import type { Balancer, Endpoint } from './types';

const OPTS = { minRingSize: 1024, maxRingSize: 8 * 1024 * 1024, entriesPerEndpoint: 64, ringSizeBudget: 65_536 };

function ring(endpoints: Endpoint<number>[]): Balancer<number> {
  const b = createBalancer<number>('ring-hash', { clock: new ManualClock(), random: seededRandom(1) });
  b.update({ type: 'reset', endpoints });
  return b;
}

function owner(b: Balancer<number>, key: string): string {
  const r = b.picker.pick(key);
  return r.kind === 'picked' ? r.endpoint.id : '';
}

const keys = Array.from({ length: 4_000 }, (_, i) => `user-${i}`);

describe('ring hash', () => {
  it('has at least 1024 entries, proportional to weight', () => {
    expect(ringEntryCounts([1, 1], OPTS)).toEqual([1024, 1024]);
    expect(ringEntryCounts([1, 3], OPTS)).toEqual([1024, 3072]);
    expect(ringEntryCounts(new Array(15).fill(1), OPTS)).toEqual(new Array(15).fill(1024));
    expect(ringEntryCounts(new Array(16).fill(1), OPTS)).toEqual(new Array(16).fill(64));
    expect(ringEntryCounts(new Array(100).fill(5), OPTS)).toEqual(new Array(100).fill(64));
    expect(ringEntryCounts(new Array(10_000).fill(1), OPTS)).toEqual(new Array(10_000).fill(6));
    expect(ringEntryCounts(new Array(100_000).fill(1), OPTS)).toEqual(new Array(100_000).fill(1));
    const capped = ringEntryCounts([1, 1000], { ...OPTS, maxRingSize: 10_000, ringSizeBudget: 1e9 });
    expect(capped.reduce((a, b) => a + b)).toBeLessThanOrEqual(10_000);
    expect(capped[1]! / capped[0]!).toBeGreaterThan(900);
  });

  it('maps the same key to the same endpoint whatever the order of the endpoints', () => {
    const eps = Array.from({ length: 8 }, (_, i) => ({ id: `10.0.0.${i}:80`, weight: 1, value: i }));
    const a = ring(eps);
    const b = ring([...eps].reverse());
    for (const k of keys.slice(0, 500)) expect(owner(a, k)).toBe(owner(b, k));
  });

  it('moves about 1/N of the keys, only those of the endpoint removed (property)', () => {
    fc.assert(
      // 16 -> 15 endpoints crosses the size where the ring is re-scaled; see ringEntryCounts.
      fc.property(fc.integer({ min: 3, max: 40 }).filter((n) => n !== 16), fc.nat(), (n, victimSeed) => {
        const eps = Array.from({ length: n }, (_, i) => ({ id: `pod-${i}.ns:8080`, weight: 1, value: i }));
        const before = ring(eps);
        const victim = eps[victimSeed % n]!.id;
        const after = ring(eps.filter((e) => e.id !== victim));
        let moved = 0;
        for (const k of keys) {
          const was = owner(before, k);
          const now = owner(after, k);
          if (was !== now) {
            moved += 1;
            expect(was).toBe(victim);
          }
        }
        // 64 entries per endpoint: an endpoint's share varies by about 1/sqrt(64) = 12 %.
        expect(moved / keys.length).toBeLessThan((1 / n) * 1.6 + 0.02);
        expect(moved / keys.length).toBeGreaterThan((1 / n) * 0.4);
      }),
      { numRuns: 15 },
    );
  });
});
