import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createBalancer } from './create-balancer';
import { ManualClock, seededRandom } from './seeded-random';

describe('random and round-robin balancers', () => {
  it.each(['random', 'round-robin'] as const)('%s picks in proportion to weight (property)', (kind) => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 10 }), { minLength: 2, maxLength: 8 }), fc.nat(), (weights, seed) => {
        const b = createBalancer<number>(kind, { clock: new ManualClock(), random: seededRandom(seed) });
        b.update({ type: 'reset', endpoints: weights.map((weight, i) => ({ id: `e${i}`, weight, value: i })) });
        const picks = 20_000;
        const counts = new Array<number>(weights.length).fill(0);
        for (let p = 0; p < picks; p++) {
          const r = b.picker.pick();
          if (r.kind === 'picked') counts[r.endpoint.value]! += 1;
        }
        const total = weights.reduce((a, b) => a + b, 0);
        counts.forEach((c, i) => expect(Math.abs(c / picks - weights[i]! / total)).toBeLessThan(0.02));
      }),
      { numRuns: 20 },
    );
  });

  it('round robin with equal weights visits every endpoint once per cycle', () => {
    const b = createBalancer<number>('round-robin', { clock: new ManualClock(), random: seededRandom(9) });
    b.update({ type: 'reset', endpoints: [0, 1, 2, 3].map((i) => ({ id: `e${i}`, weight: 7, value: i })) });
    const cycle = Array.from({ length: 8 }, () => {
      const r = b.picker.pick();
      return r.kind === 'picked' ? r.endpoint.value : -1;
    });
    expect(new Set(cycle.slice(0, 4)).size).toBe(4);
    expect(cycle.slice(4)).toEqual(cycle.slice(0, 4));
  });
});
