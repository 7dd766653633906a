import { describe, expect, it } from 'vitest';
import { ManualClock } from './seeded-random';
import { TokenBucket } from './token-bucket';

describe('TokenBucket', () => {
  it('starts full, refuses when empty and refills continuously up to capacity', () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket({ clock, capacity: 3, refillPerSecond: 2 });
    expect([bucket.tryTake(), bucket.tryTake(), bucket.tryTake(), bucket.tryTake()]).toEqual([true, true, true, false]);
    clock.advance(500);
    expect(bucket.tryTake()).toBe(true);
    expect(bucket.tryTake()).toBe(false);
    clock.advance(60_000);
    expect(bucket.available()).toBe(3);
  });

  it('takes nothing when asked for more than it holds', () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket({ clock, capacity: 5, refillPerSecond: 0 });
    expect(bucket.tryTake(6)).toBe(false);
    expect(bucket.available()).toBe(5);
    expect(() => bucket.tryTake(-1)).toThrow(/>= 0/);
  });
});
