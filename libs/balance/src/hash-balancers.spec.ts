import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createBalancer } from './create-balancer';
import { ManualClock, seededRandom } from './seeded-random';
import type { Balancer, Endpoint } from './types';

// Properties both consistent-hashing balancers share; each one's disruption bound on removal is
// in its own spec (ring-hash.spec.ts, maglev.spec.ts).

const KINDS = ['ring-hash', 'maglev'] as const;

const endpoints = (n: number): Endpoint<number>[] => Array.from({ length: n }, (_, i) => ({ id: `10.0.${i >> 8}.${i & 255}:8080`, weight: 1, value: i }));

// Small tables keep the property with one rebuild per endpoint added cheap; the logic is the same.
const SMALL_TABLES = { maglevTableSize: 1_009, minRingSize: 64, ringEntriesPerEndpoint: 8 };

function build(kind: (typeof KINDS)[number], randomSeed: number, tables = {}): Balancer<number> {
  return createBalancer<number>(kind, { clock: new ManualClock(), random: seededRandom(randomSeed), ...tables });
}

function owner(b: Balancer<number>, key?: string): string | undefined {
  const r = b.picker.pick(key);
  return r.kind === 'picked' ? r.endpoint.id : undefined;
}

const anyKey = fc.string({ unit: 'binary', maxLength: 64 });

describe.each(KINDS)('%s', (kind) => {
  it('sends a key to the same endpoint for the same set, whatever the update order or random source (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }).chain((n) => fc.tuple(fc.constant(endpoints(n)), fc.shuffledSubarray(endpoints(n), { minLength: n, maxLength: n }))),
        fc.array(anyKey, { minLength: 1, maxLength: 40 }),
        fc.nat(),
        ([eps, shuffled], keys, seed) => {
          const a = build(kind, 1, SMALL_TABLES);
          a.update({ type: 'reset', endpoints: eps });
          const b = build(kind, seed, SMALL_TABLES);
          for (const e of shuffled) b.update({ type: 'add', endpoints: [e] });
          for (const key of keys) {
            const id = owner(a, key);
            expect(id).toBeDefined();
            expect(owner(a, key)).toBe(id);
            expect(owner(b, key)).toBe(id);
          }
        },
      ),
      { numRuns: 30 },
    );
  });

  it('gives every key its endpoint back when a removed endpoint is added again (property)', () => {
    const keys = Array.from({ length: 2_000 }, (_, i) => `session-${i}`);
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 40 }), fc.nat(), (n, victimSeed) => {
        const eps = endpoints(n);
        const victim = eps[victimSeed % n]!;
        const b = build(kind, 1);
        b.update({ type: 'reset', endpoints: eps });
        const before = keys.map((k) => owner(b, k));
        b.update({ type: 'remove', ids: [victim.id] });
        expect(keys.map((k) => owner(b, k))).not.toContain(victim.id);
        b.update({ type: 'add', endpoints: [victim] });
        expect(keys.map((k) => owner(b, k))).toEqual(before);
      }),
      { numRuns: 10 },
    );
  });

  it('picks at random without a key, from the injected random source', () => {
    const eps = endpoints(4);
    const picks = (seed: number) => {
      const b = build(kind, seed);
      b.update({ type: 'reset', endpoints: eps });
      return Array.from({ length: 4_000 }, () => owner(b));
    };
    const first = picks(7);
    expect(picks(7)).toEqual(first);
    expect(picks(8)).not.toEqual(first);
    for (const e of eps) {
      // Binomial(4000, 1/4): mean 1000, standard deviation 27; 150 is more than 5 of them.
      const count = first.filter((id) => id === e.id).length;
      expect(Math.abs(count - 1_000)).toBeLessThan(150);
    }
  });
});
