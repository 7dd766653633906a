import { describe, expect, it } from 'vitest';
import { MetricCollection } from './metric-collection';
import { scaleSamples, type PodStat } from './pod-stat';
import { sampleSize, scrapeOrder } from './sampling';
import { TimedBuckets } from './timed-buckets';

const stat = (concurrency: number, proxied = 0, rps = 0, proxiedRps = 0): PodStat => ({
  averageConcurrentRequests: concurrency,
  averageProxiedConcurrentRequests: proxied,
  requestCount: rps,
  proxiedRequestCount: proxiedRps,
  processUptime: 100,
});

describe('sampleSize', () => {
  it.each([
    [0, 0],
    [1, 1],
    [3, 3],
    [5, 4],
    [10, 7],
    [100, 14],
    [1000, 16],
    [1_000_000, 16],
  ])('%i ready pods -> %i samples', (n, want) => {
    expect(sampleSize(n)).toBe(want);
  });
});

describe('scrapeOrder', () => {
  const pod = (name: string, ageSec: number) => ({ name, createdMs: 100_000 - ageSec * 1000 });
  const noShuffle = () => 0.999;

  it('puts pods older than the stable window first', () => {
    const order = scrapeOrder([pod('y1', 5), pod('o1', 90), pod('y2', 10), pod('o2', 61)], 100_000, 60, noShuffle);
    expect(order.slice(0, 2).map((p) => p.name).sort()).toEqual(['o1', 'o2']);
    expect(order.slice(2).map((p) => p.name).sort()).toEqual(['y1', 'y2']);
  });

  it('keeps every pod exactly once', () => {
    const pods = Array.from({ length: 50 }, (_, i) => pod(`p${i}`, i * 3));
    const order = scrapeOrder(pods, 100_000, 60, Math.random);
    expect(new Set(order.map((p) => p.name)).size).toBe(50);
  });
});

describe('scaleSamples', () => {
  it('sums the samples and scales them to the population', () => {
    const total = scaleSamples([stat(2, 1, 10, 4), stat(4, 1, 20, 0)], 10);
    expect(total?.averageConcurrentRequests).toBe(30);
    expect(total?.averageProxiedConcurrentRequests).toBe(10);
    expect(total?.requestCount).toBe(150);
    expect(total?.proxiedRequestCount).toBe(20);
  });

  it('is undefined without samples', () => {
    expect(scaleSamples([], 3)).toBeUndefined();
  });
});

describe('TimedBuckets', () => {
  it('averages a young series over its own age', () => {
    const b = new TimedBuckets(60, 1);
    b.record(10_000, 4);
    b.record(11_000, 8);
    expect(b.windowAverage(11_000)).toBe(6);
  });

  it('sums values in the same bucket', () => {
    const b = new TimedBuckets(60, 1);
    b.record(10_000, 4);
    b.record(10_500, 8);
    expect(b.windowAverage(10_900)).toBe(12);
  });

  it('counts a gap inside the window as zeros', () => {
    const b = new TimedBuckets(10, 1);
    b.record(0, 10);
    b.record(9_000, 10);
    expect(b.windowAverage(9_000)).toBe(2);
  });

  it('averages over the part of the window before now when the last write is older', () => {
    const b = new TimedBuckets(10, 1);
    for (let t = 0; t < 10; t++) b.record(t * 1000, t < 5 ? 0 : 10);
    expect(b.windowAverage(9_000)).toBe(5);
    // At t=14 the buckets of t=0..4 have left the window; t=10..14 have no data and are not counted.
    expect(b.windowAverage(14_000)).toBe(10);
  });

  it('is empty after a window of silence and restarts from the next write', () => {
    const b = new TimedBuckets(10, 1);
    b.record(0, 100);
    expect(b.isEmpty(10_000)).toBe(false);
    expect(b.isEmpty(11_000)).toBe(true);
    expect(b.windowAverage(11_000)).toBe(0);
    b.record(30_000, 2);
    expect(b.windowAverage(30_000)).toBe(2);
  });

  it('ignores values older than the window', () => {
    const b = new TimedBuckets(5, 1);
    b.record(20_000, 1);
    b.record(10_000, 1000);
    expect(b.windowAverage(20_000)).toBe(1);
  });
});

describe('MetricCollection', () => {
  it('subtracts proxied concurrency and requests', () => {
    const c = new MetricCollection(60, 6);
    c.record(0, stat(10, 3, 50, 20));
    expect(c.observed(0, 'concurrency')).toEqual({ stable: 7, panic: 7 });
    expect(c.observed(0, 'rps')).toEqual({ stable: 30, panic: 30 });
  });

  it('averages the stable and panic windows separately', () => {
    const c = new MetricCollection(60, 6);
    for (let t = 0; t < 60; t++) c.record(t * 1000, stat(t < 54 ? 0 : 60));
    expect(c.observed(59_000, 'concurrency')).toEqual({ stable: 6, panic: 60 });
  });

  it('has no data before the first record and after a stable window of silence', () => {
    const c = new MetricCollection(60, 6);
    expect(c.observed(0, 'concurrency')).toBeUndefined();
    c.record(0, stat(1));
    expect(c.observed(61_000, 'concurrency')).toBeUndefined();
  });
});
