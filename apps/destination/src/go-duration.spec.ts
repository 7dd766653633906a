import { describe, expect, it } from 'vitest';
import { nanosToDuration, parseGoDuration } from './go-duration';

describe('parseGoDuration', () => {
  it.each([
    ['300ms', 300_000_000n],
    ['1m30s', 90_000_000_000n],
    ['1.5h', 5_400_000_000_000n],
    ['10s', 10_000_000_000n],
    ['0', 0n],
    ['0s', 0n],
    ['1h2m3s4ms5us6ns', 3_723_004_005_006n],
    ['2µs', 2_000n],
    ['.5s', 500_000_000n],
    ['-1s', -1_000_000_000n],
  ])('%s', (text, nanos) => {
    expect(parseGoDuration(text)).toEqual({ ok: true, nanos });
  });

  it.each(['', '10', 'ms', '1x', '1s2', '1 s', 's1', '.s', '9999999999999h'])('rejects %j', (text) => {
    const result = parseGoDuration(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain(JSON.stringify(text));
  });
});

describe('nanosToDuration', () => {
  it.each([
    [1_500_000_000n, { seconds: '1', nanos: 500_000_000 }],
    [300_000_000n, { seconds: '0', nanos: 300_000_000 }],
    [90_000_000_000n, { seconds: '90', nanos: 0 }],
  ])('%s ns', (nanos, duration) => {
    expect(nanosToDuration(nanos)).toEqual(duration);
  });
});
