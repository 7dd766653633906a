import { describe, expect, it } from 'vitest';
import { INFORMER_BACKOFF_INITIAL_MS, INFORMER_BACKOFF_MAX_MS, backoffDelayMs } from './backoff';

describe('backoffDelayMs', () => {
  const middle = () => 0.5;

  it('doubles from the initial delay and caps at the maximum', () => {
    const delays = [1, 2, 3, 4, 20].map((n) => backoffDelayMs(n, { random: middle }));
    expect(delays).toEqual([
      INFORMER_BACKOFF_INITIAL_MS,
      INFORMER_BACKOFF_INITIAL_MS * 2,
      INFORMER_BACKOFF_INITIAL_MS * 4,
      INFORMER_BACKOFF_INITIAL_MS * 8,
      INFORMER_BACKOFF_MAX_MS,
    ]);
  });

  it('jitters by at most 10 % and never exceeds the cap', () => {
    expect(backoffDelayMs(1, { random: () => 0 })).toBe(90);
    expect(backoffDelayMs(1, { random: () => 1 })).toBe(110);
    expect(backoffDelayMs(50, { random: () => 1 })).toBe(INFORMER_BACKOFF_MAX_MS);
  });

  it('honours custom bounds', () => {
    expect(backoffDelayMs(3, { initialMs: 20, maxMs: 50, random: middle })).toBe(50);
  });
});
