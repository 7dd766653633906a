import { describe, expect, it } from 'vitest';
import { LatencyHistogram } from './latency-histogram';

describe('LatencyHistogram', () => {
  it('answers percentiles within 2 % and never above the maximum', () => {
    const h = new LatencyHistogram();
    for (let i = 1; i <= 1000; i++) h.record(i);
    for (const [q, exact] of [[0.5, 500], [0.9, 900], [0.99, 990]] as const) {
      const got = h.percentile(q) ?? 0;
      expect(Math.abs(got - exact) / exact).toBeLessThanOrEqual(0.02);
    }
    expect(h.percentile(1)).toBe(1000);
    expect(h.count).toBe(1000);
  });

  it('handles tiny, huge and invalid values, and resets', () => {
    const h = new LatencyHistogram();
    expect(h.percentile(0.5)).toBeUndefined();
    h.record(0);
    h.record(-1);
    h.record(Number.NaN);
    h.record(1e12);
    expect(h.count).toBe(2);
    expect(h.percentile(0.5)).toBeLessThanOrEqual(0.01);
    expect(h.percentile(1)).toBe(1e12);
    h.reset();
    expect(h.count).toBe(0);
  });
});
