import { describe, expect, it } from 'vitest';
import { MaxTimeWindow } from './max-time-window';

describe('MaxTimeWindow', () => {
  it('keeps the maximum of the last window, in buckets', () => {
    const w = new MaxTimeWindow(10, 2);
    w.record(0, 5);
    w.record(2000, 3);
    expect(w.current()).toBe(5);
    w.record(8000, 1);
    expect(w.current()).toBe(5);
    // Bucket 0 (t=0..1 s) leaves the window once the index reaches 5 (t=10 s).
    w.record(10_000, 1);
    expect(w.current()).toBe(3);
    w.record(12_000, 0);
    expect(w.current()).toBe(1);
  });

  it('keeps the larger of two values in one bucket and lets a larger value replace older ones', () => {
    const w = new MaxTimeWindow(10, 2);
    w.record(0, 2);
    w.record(1000, 1);
    expect(w.current()).toBe(2);
    w.record(4000, 7);
    expect(w.current()).toBe(7);
  });

  it('is 0 before anything was recorded', () => {
    expect(new MaxTimeWindow(10, 2).current()).toBe(0);
  });
});
