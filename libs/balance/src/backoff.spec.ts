import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ExponentialBackoff } from './backoff';
import { BalanceError } from './errors';
import { seededRandom } from './seeded-random';

describe('ExponentialBackoff', () => {
  it('doubles from 100 ms up to 5 s by default, and reset() starts over', () => {
    const b = new ExponentialBackoff({ random: () => 0 });
    const delays = Array.from({ length: 12 }, () => b.next());
    expect(delays).toEqual([100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000, 5000, 5000, 5000]);
    b.reset();
    expect(b.next()).toBe(100);
  });

  it('adds up to 10 % jitter from the injected random source', () => {
    const b = new ExponentialBackoff({ random: () => 0.5 });
    expect(b.next()).toBeCloseTo(105);
    expect(b.next()).toBeCloseTo(210);
  });

  it('rejects min above max', () => {
    expect(() => new ExponentialBackoff({ random: Math.random, minMs: 10, maxMs: 5 })).toThrow(BalanceError);
  });

  it('stays within [base, min(max, base x (1 + jitter))] on every attempt (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 1, max: 100_000 }),
        fc.double({ min: 1, max: 4, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.nat(),
        fc.integer({ min: 1, max: 40 }),
        (minMs, extra, multiplier, jitter, seed, attempts) => {
          const maxMs = minMs + extra;
          const b = new ExponentialBackoff({ random: seededRandom(seed), minMs, maxMs, multiplier, jitter });
          for (let n = 0; n < attempts; n++) {
            const base = Math.min(maxMs, minMs * multiplier ** n);
            const d = b.next();
            expect(d).toBeGreaterThanOrEqual(base * (1 - 1e-12));
            expect(d).toBeLessThanOrEqual(Math.min(maxMs, base * (1 + jitter)) * (1 + 1e-12));
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});
