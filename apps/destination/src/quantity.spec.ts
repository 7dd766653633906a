import { describe, expect, it } from 'vitest';
import { parseQuantityMilli } from './quantity';

describe('parseQuantityMilli', () => {
  it.each([
    ['1', 1000n],
    ['500m', 500n],
    [1, 1000n],
    [0.5, 500n],
    ['0', 0n],
    ['1.1', 1100n],
    ['2k', 2_000_000n],
    ['1Ki', 1_024_000n],
    ['1e3', 1_000_000n],
    ['1E-3', 1n],
    ['100u', 1n],
    ['1n', 1n],
    ['-1', -1000n],
    ['.25', 250n],
  ])('%j', (text, milli) => {
    expect(parseQuantityMilli(text)).toEqual({ ok: true, milli });
  });

  it.each(['', 'abc', '1x', '1 m', '--1', '1e99'])('rejects %j', (text) => {
    expect(parseQuantityMilli(text).ok).toBe(false);
  });
});
