import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { CounterFamily, HistogramFamily } from './families';

const BOUNDS = [1, 5, 10];
const LABELS = ['route', 'status'] as const;

function observations(): { route: string; status: string; ms: number }[] {
  return [
    { route: 'a', status: '200', ms: 0.4 },
    { route: 'a', status: '200', ms: 1 },
    { route: 'a', status: '500', ms: 7.5 },
    { route: 'b', status: '200', ms: 42 },
    { route: 'b', status: '200', ms: 5 },
  ];
}

describe('metric families', () => {
  it('expose exactly what prom-client does for the same observations', async () => {
    const ours = new Registry();
    const counter = new CounterFamily('req_total', 'Requests', LABELS).register(ours);
    const histogram = new HistogramFamily('lat_ms', 'Latency', LABELS, BOUNDS).register(ours);
    const theirs = new Registry();
    const refCounter = new Counter({ name: 'req_total', help: 'Requests', labelNames: LABELS, registers: [theirs] });
    const refHistogram = new Histogram({ name: 'lat_ms', help: 'Latency', labelNames: LABELS, buckets: BOUNDS, registers: [theirs] });

    for (const o of observations()) {
      const labels = { route: o.route, status: o.status };
      const key = `${o.route}/${o.status}`;
      counter.child(key, () => labels).inc();
      histogram.child(key, () => labels).observe(o.ms);
      refCounter.inc(labels);
      refHistogram.observe(labels, o.ms);
    }

    expect(await ours.metrics()).toBe(await theirs.metrics());
    expect(await ours.metrics()).toContain('lat_ms_bucket{le="5",route="b",status="200"} 1');
  });

  it('keep one series per key, so cached children and rare increments add up', async () => {
    const registry = new Registry();
    const counter = new CounterFamily('skipped_total', 'Skipped', ['reason']).register(registry);
    const child = counter.child(JSON.stringify({ reason: 'budget' }), () => ({ reason: 'budget' }));
    child.inc();
    counter.inc({ reason: 'budget' });
    counter.inc({ reason: 'size' });
    const text = await registry.metrics();
    expect(text).toContain('skipped_total{reason="budget"} 2');
    expect(text).toContain('skipped_total{reason="size"} 1');
  });

  it('refuse a label set that does not match the declared names', () => {
    const counter = new CounterFamily('x_total', 'X', ['a', 'b']);
    expect(() => counter.child('k', () => ({ a: '1' }))).toThrow(/exactly a, b/);
    expect(() => counter.inc({ a: '1', c: '2' })).toThrow(TypeError);
  });

  it('start again from zero after a registry reset', async () => {
    const registry = new Registry();
    const histogram = new HistogramFamily('h_ms', 'H', [], BOUNDS).register(registry);
    histogram.child('', () => ({})).observe(3);
    registry.resetMetrics();
    expect(await registry.metrics()).not.toContain('h_ms_count');
    histogram.child('', () => ({})).observe(20);
    expect(await registry.metrics()).toContain('h_ms_bucket{le="+Inf"} 1');
  });
});
