import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { median, rotate, summarize } from './stats';

describe('median', () => {
  it('takes the middle of an odd count and the mean of the two middles of an even count', () => {
    expect(median([9, 1, 5])).toBe(5);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('is NaN for no values', () => {
    expect(median([])).toBeNaN();
  });

  it('lies between the minimum and the maximum', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e9, max: 1e9 }), { minLength: 1 }), (values) => {
        const m = median(values);
        expect(m).toBeGreaterThanOrEqual(Math.min(...values));
        expect(m).toBeLessThanOrEqual(Math.max(...values));
      }),
    );
  });
});

describe('summarize', () => {
  it('gives median, min, max and count, ignoring non-finite values', () => {
    expect(summarize([30, Number.NaN, 10, 20, Number.POSITIVE_INFINITY])).toEqual({ median: 20, min: 10, max: 30, count: 3 });
  });

  it('is undefined when nothing was measured', () => {
    expect(summarize([])).toBeUndefined();
    expect(summarize([Number.NaN])).toBeUndefined();
  });
});

describe('rotate', () => {
  it('moves the start by one per round and wraps around', () => {
    expect(rotate(['a', 'b', 'c'], 0)).toEqual(['a', 'b', 'c']);
    expect(rotate(['a', 'b', 'c'], 1)).toEqual(['b', 'c', 'a']);
    expect(rotate(['a', 'b', 'c'], 4)).toEqual(['b', 'c', 'a']);
  });

  it('puts every item first once over as many rounds as items', () => {
    const items = ['a', 'b', 'c', 'd'];
    const firsts = items.map((_, round) => rotate(items, round)[0]);
    expect(new Set(firsts).size).toBe(items.length);
  });
});
