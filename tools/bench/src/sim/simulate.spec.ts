import { describe, expect, it } from 'vitest';
import { EventQueue } from './event-queue';
import { svg, table } from './report';
import { lightHealthy, stuckBackend } from './scenarios';
import { percentile, simulate } from './simulate';

describe('simulator', () => {
  it('orders events by time, then by scheduling order', () => {
    const q = new EventQueue<string>();
    q.push(5, 'c');
    q.push(1, 'a');
    q.push(5, 'd');
    q.push(2, 'b');
    const out: string[] = [];
    for (let e = q.pop(); e !== undefined; e = q.pop()) out.push(e.event);
    expect(out).toEqual(['a', 'b', 'c', 'd']);
  });

  it('takes the nearest-rank percentile', () => {
    const sorted = Float64Array.from({ length: 1000 }, (_, i) => i + 1);
    expect([percentile(sorted, 0.5), percentile(sorted, 0.99), percentile(sorted, 0.999)]).toEqual([500, 990, 999]);
  });

  it('is deterministic for a seed and differs across seeds', () => {
    const scenario = lightHealthy(2_000);
    const a = simulate(scenario, 'peak-ewma', 7);
    expect(simulate(scenario, 'peak-ewma', 7)).toEqual(a);
    expect(simulate(scenario, 'peak-ewma', 8)).not.toEqual(a);
    expect(a.requests).toBeGreaterThan(300);
    expect(a.requests).toBeLessThan(500);
  });

  it.each(['peak-ewma', 'least-request', 'round-robin', 'random'] as const)('%s: all-healthy gives 100 %% success', (algorithm) => {
    const r = simulate(lightHealthy(2_000), algorithm, 3);
    expect(r.successRate).toBe(1);
    expect(r.p999).toBeLessThan(1_000);
  });

  it('peak-ewma routes around a stuck backend that round robin keeps hitting', () => {
    const scenario = stuckBackend(0.2);
    const ewma = simulate(scenario, 'peak-ewma', 1);
    const rr = simulate(scenario, 'round-robin', 1);
    // Round robin sends 1/11 of the traffic to the backend stuck for half the run.
    expect(rr.successRate).toBeLessThan(0.97);
    expect(rr.successRate).toBeGreaterThan(0.93);
    expect(ewma.successRate).toBeGreaterThan(0.995);
  });

  it('reports a table and an SVG line per algorithm', () => {
    const results = [simulate(lightHealthy(500), 'random', 1), simulate(lightHealthy(500), 'round-robin', 1)];
    expect(table(results).split('\n')).toHaveLength(4);
    const picture = svg(results, 'a < b');
    expect(picture.match(/<polyline/g)).toHaveLength(2);
    expect(picture).toContain('a &lt; b');
  });
});
