import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EdfScheduler } from './edf-scheduler';

describe('EdfScheduler', () => {
  it('interleaves 3:1 weights: one pick of the light entry in every four', () => {
    const weights = [3, 1];
    const edf = new EdfScheduler(2, (i) => weights[i]!);
    const picks = Array.from({ length: 40 }, () => edf.pick());
    for (let i = 0; i < 40; i += 4) expect(picks.slice(i, i + 4).filter((p) => p === 1)).toHaveLength(1);
  });

  it('follows weights that change between picks', () => {
    const weights = [1, 1];
    const edf = new EdfScheduler(2, (i) => weights[i]!);
    weights[0] = 9;
    const picks = Array.from({ length: 1_000 }, () => edf.pick());
    expect(picks.filter((p) => p === 0).length).toBeGreaterThan(850);
  });

  it('serves each index in proportion to its weight (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 30 }), fc.integer({ min: 1, max: 2_000 }), (weights, picks) => {
        const edf = new EdfScheduler(weights.length, (i) => weights[i]!);
        const counts = new Array<number>(weights.length).fill(0);
        for (let p = 0; p < picks; p++) counts[edf.pick()]! += 1;
        const total = weights.reduce((a, b) => a + b, 0);
        // Entry i has been picked floor(T x w_i) times by virtual time T, so it is at most one
        // pick behind its share and at most n x w_i / total ahead of it.
        counts.forEach((c, i) => {
          const share = (picks * weights[i]!) / total;
          expect(c - share).toBeGreaterThanOrEqual(-1 - 1e-6);
          expect(c - share).toBeLessThanOrEqual(1 + (weights.length * weights[i]!) / total + 1e-6);
        });
      }),
      { numRuns: 120 },
    );
  });
});
