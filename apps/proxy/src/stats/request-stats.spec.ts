import { readFileSync } from 'node:fs';
import { Stat } from '@trellis/proto';
import { describe, expect, it } from 'vitest';
import { RequestStats } from './request-stats';
import { StatsReporter, toStat } from './stats-reporter';

interface Vector {
  name: string;
  object: Record<string, unknown>;
  base64: string;
}

const vectors: Vector[] = JSON.parse(
  readFileSync(new URL('../../../../libs/proto/src/fixtures/wire-vectors.json', import.meta.url), 'utf8'),
).cases;

function vector(name: string): Vector {
  const found = vectors.find((v) => v.name === name);
  if (!found) throw new Error(`no wire vector named ${name}`);
  return found;
}

describe('RequestStats', () => {
  it('two 500 ms requests inside one 1 s window average a concurrency of 1.0', () => {
    const stats = new RequestStats(0);
    stats.requestIn(0, false);
    stats.requestOut(500, false);
    stats.requestIn(500, false);
    stats.requestOut(1000, false);
    const report = stats.report(1000);
    expect(report.averageConcurrency).toBeCloseTo(1.0, 12);
    expect(report.requestCount).toBe(2);
    expect(report.averageProxiedConcurrency).toBe(0);
  });

  it('weights concurrency by time: one request for a quarter of the window is 0.25', () => {
    const stats = new RequestStats(0);
    stats.requestIn(250, false);
    stats.requestOut(500, false);
    expect(stats.report(1000).averageConcurrency).toBeCloseTo(0.25, 12);
  });

  it('counts activator-proxied requests in both the plain and the proxied figures', () => {
    const stats = new RequestStats(0);
    stats.requestIn(0, true);
    stats.requestIn(0, false);
    stats.requestOut(1000, true);
    stats.requestOut(1000, false);
    const report = stats.report(1000);
    expect(report).toEqual({ averageConcurrency: 2, averageProxiedConcurrency: 1, requestCount: 2, proxiedRequestCount: 1 });
  });

  it('carries requests still in flight into the next window, and resets counts', () => {
    const stats = new RequestStats(0);
    stats.requestIn(0, false);
    stats.report(1000);
    const next = stats.report(2000);
    expect(next.averageConcurrency).toBe(1);
    expect(next.requestCount).toBe(0);
    expect(stats.inFlight).toBe(1);
  });

  it('reports zero for an empty window', () => {
    const stats = new RequestStats(5);
    expect(stats.report(5)).toEqual({ averageConcurrency: 0, averageProxiedConcurrency: 0, requestCount: 0, proxiedRequestCount: 0 });
  });
});

describe('toStat', () => {
  it('turns counts into per-second rates over the window length', () => {
    const stat = toStat(
      { averageConcurrency: 1, averageProxiedConcurrency: 0, requestCount: 10, proxiedRequestCount: 4 },
      { seconds: 2, podName: 'p', uptimeSeconds: 3, unixSeconds: 1795000000.9 },
    );
    expect(stat.requestCount).toBe(5);
    expect(stat.proxiedRequestCount).toBe(2);
    expect(stat.timestamp).toBe('1795000000');
  });

  it('encodes to exactly the bytes of the conformance vector', () => {
    const v = vector('stat');
    const stat = toStat(
      { averageConcurrency: 3.5, averageProxiedConcurrency: 1.25, requestCount: 42, proxiedRequestCount: 7 },
      { seconds: 1, podName: String(v.object.podName), uptimeSeconds: 123.5, unixSeconds: 1795000000 },
    );
    expect(Buffer.from(Stat.encode(stat).finish()).toString('base64')).toBe(v.base64);
    expect(Stat.decode(Buffer.from(v.base64, 'base64'))).toEqual(stat);
  });

  it('an idle pod encodes like the idle vector (zero fields omitted)', () => {
    const v = vector('stat-idle');
    const stat = toStat(
      { averageConcurrency: 0, averageProxiedConcurrency: 0, requestCount: 0, proxiedRequestCount: 0 },
      { seconds: 1, podName: String(v.object.podName), uptimeSeconds: 7, unixSeconds: 0 },
    );
    expect(Buffer.from(Stat.encode(stat).finish()).toString('base64')).toBe(v.base64);
  });
});

describe('StatsReporter', () => {
  it('reports each window with the injected clocks: rates per second, uptime, Unix timestamp', () => {
    let nowMs = 10_000;
    const stats = new RequestStats(nowMs);
    const reporter = new StatsReporter(stats, 'pod-a', () => nowMs, () => 1_795_000_000_500);
    stats.requestIn(nowMs, false);
    nowMs += 500;
    stats.requestOut(nowMs, false);
    stats.requestIn(nowMs, true);
    nowMs += 500;
    stats.requestOut(nowMs, true);
    const stat = reporter.tick();
    expect(stat).toEqual({
      podName: 'pod-a',
      averageConcurrentRequests: 1,
      averageProxiedConcurrentRequests: 0.5,
      requestCount: 2,
      proxiedRequestCount: 1,
      processUptime: 1,
      timestamp: '1795000000',
    });
    expect(reporter.latest).toBe(stat);
    nowMs += 2_000;
    expect(reporter.tick()).toMatchObject({ averageConcurrentRequests: 0, requestCount: 0, processUptime: 3 });
  });
});
