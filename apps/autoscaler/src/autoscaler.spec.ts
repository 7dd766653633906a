import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Actuator } from './actuator';
import { Autoscaler } from './autoscaler';
import { AutoscalerMetrics } from './metrics';
import { createScrapeClient } from './scrape-client';
import { startStatServer, type FakeStatServer } from './stat-server.test-helpers';
import type { TargetView } from './targets';

const KPA = { 'autoscaling.knative.dev/class': 'kpa.autoscaling.knative.dev' };

function recordingActuator(): Actuator & { calls: [string, string, number][] } {
  const calls: [string, string, number][] = [];
  return { kind: 'fs', calls, scale: async (ns, name, n) => void calls.push([ns, name, n]) };
}

function view(pods: FakeStatServer[] | string[], annotations: Record<string, string> = {}, replicas = pods.length): TargetView {
  return {
    key: 'shop/web',
    namespace: 'shop',
    name: 'web',
    annotations: { ...KPA, ...annotations },
    containerConcurrency: 0,
    replicas,
    createdMs: undefined,
    services: ['web-svc'],
    pods: pods.map((p, i) => ({ key: `web-${i}`, url: typeof p === 'string' ? p : p.url, createdMs: 0 })),
  };
}

describe('Autoscaler', () => {
  const scraper = createScrapeClient({ timeoutMs: 500 });
  const servers: FakeStatServer[] = [];
  let now = 1_000_000;
  let leader = true;
  const logger = pino({ level: 'silent' });

  const make = (actuator: Actuator, metrics = new AutoscalerMetrics()) =>
    new Autoscaler({ scrape: scraper.scrape, actuator, metrics, logger, isLeader: () => leader, clock: () => now, random: () => 0.5 });

  beforeAll(async () => {
    for (let i = 0; i < 3; i++) servers.push(await startStatServer());
  });
  afterEach(() => {
    leader = true;
  });
  afterAll(async () => {
    await scraper.close();
    await Promise.all(servers.map((s) => s.close()));
  });

  it('scales up from scraped concurrency, in panic mode, and actuates', async () => {
    const [a, b] = servers as [FakeStatServer, FakeStatServer];
    a.set({ averageConcurrentRequests: 70 });
    b.set({ averageConcurrentRequests: 70 });
    const actuator = recordingActuator();
    const as = make(actuator);
    as.sync([view([a, b], { 'autoscaling.knative.dev/target': '10' })]);
    await as.scrapeTick();
    as.decideTick();
    await as.settled();
    const s = as.status('shop/web');
    expect(s?.observed).toEqual({ stable: 140, panic: 140 });
    expect(s?.decision?.desiredPodCount).toBe(20);
    expect(s?.panicking).toBe(true);
    expect(actuator.calls).toEqual([['shop', 'web', 20]]);
  });

  it('subtracts proxied concurrency', async () => {
    const [a] = servers as [FakeStatServer];
    a.set({ averageConcurrentRequests: 10, averageProxiedConcurrentRequests: 4 });
    const as = make(recordingActuator());
    as.sync([view([a])]);
    await as.scrapeTick();
    as.decideTick();
    expect(as.status('shop/web')?.observed).toEqual({ stable: 6, panic: 6 });
  });

  it('skips and counts a pod that fails, scaling the others to all ready pods', async () => {
    const [a, b] = servers as [FakeStatServer, FakeStatServer];
    a.set({ averageConcurrentRequests: 3 });
    b.set({ averageConcurrentRequests: 5 });
    const metrics = new AutoscalerMetrics();
    const as = make(recordingActuator(), metrics);
    as.sync([view([a.url, 'http://127.0.0.1:1/metrics', b.url])]);
    await as.scrapeTick();
    as.decideTick();
    expect(as.status('shop/web')?.observed?.stable).toBe(12);
    const errors = await metrics.scrapeErrors.get();
    expect(errors.values.find((v) => v.labels.code === 'SCRAPE_CONNECT')?.value).toBe(1);
  });

  it('does not actuate when it is not the leader', async () => {
    const [a] = servers as [FakeStatServer];
    a.set({ averageConcurrentRequests: 500 });
    leader = false;
    const actuator = recordingActuator();
    const as = make(actuator);
    as.sync([view([a])]);
    await as.scrapeTick();
    as.decideTick();
    await as.settled();
    expect(as.status('shop/web')?.desiredReplicas).toBeGreaterThan(1);
    expect(actuator.calls).toEqual([]);
  });

  it('keeps the last pod for the grace period, then scales to zero', async () => {
    const [a] = servers as [FakeStatServer];
    a.set({ averageConcurrentRequests: 0 });
    const actuator = recordingActuator();
    const as = make(actuator);
    as.sync([view([a], { 'autoscaling.knative.dev/window': '6s' })]);
    for (let i = 0; i < 16; i++) {
      await as.scrapeTick();
      if (i % 2 === 1) as.decideTick();
      now += 1000;
    }
    await as.settled();
    expect(as.status('shop/web')?.desiredReplicas).toBe(1);
    expect(actuator.calls).toEqual([]);
    now += 30_000;
    await as.scrapeTick();
    as.decideTick();
    await as.settled();
    expect(actuator.calls).toEqual([['shop', 'web', 0]]);
  });

  it('decides at once for a target at zero when poked', async () => {
    const actuator = recordingActuator();
    const as = make(actuator);
    as.sync([view([], {}, 0)]);
    as.decideTick();
    expect(actuator.calls).toEqual([]);
    const outcome = as.poke('shop', 'web', { averageConcurrentRequests: 1, averageProxiedConcurrentRequests: 0, requestCount: 1, proxiedRequestCount: 0, processUptime: 0 });
    await as.settled();
    expect(outcome).toEqual({ status: 'decided', desiredReplicas: 1 });
    expect(actuator.calls).toEqual([['shop', 'web', 1]]);
    const bySvc = as.poke('shop', 'web-svc', { averageConcurrentRequests: 1, averageProxiedConcurrentRequests: 0, requestCount: 1, proxiedRequestCount: 0, processUptime: 0 });
    expect(bySvc).toEqual({ status: 'decided', desiredReplicas: 1 });
    await as.settled();
    expect(actuator.calls).toHaveLength(1);
    expect(as.poke('shop', 'nope', { averageConcurrentRequests: 1, averageProxiedConcurrentRequests: 0, requestCount: 0, proxiedRequestCount: 0, processUptime: 0 })).toEqual({ status: 'unknown-target' });
  });

  it('reports a bad annotation in a metric and uses the default', async () => {
    const metrics = new AutoscalerMetrics();
    const as = make(recordingActuator(), metrics);
    as.sync([view([], { 'autoscaling.knative.dev/target': 'lots' }, 0)]);
    expect(as.status('shop/web')?.config.target).toBe(100);
    expect(as.status('shop/web')?.problems[0]?.annotation).toBe('autoscaling.knative.dev/target');
    expect(await metrics.registry.metrics()).toContain('autoscaler_annotation_problems{namespace_name="shop",deployment_name="web"} 1');
    as.sync([]);
    expect(as.status('shop/web')).toBeUndefined();
    const after = await metrics.registry.metrics();
    expect(after).not.toContain('deployment_name="web"');
    expect(after).toContain('autoscaler_targets 0');
  });
});

describe('Autoscaler reconfiguration', () => {
  it('applies changed annotations to a known target', () => {
    const logger = pino({ level: 'silent' });
    const as = new Autoscaler({ scrape: async () => Promise.reject(new Error('unused')), actuator: recordingActuator(), metrics: new AutoscalerMetrics(), logger, isLeader: () => true });
    as.sync([view([], {}, 0)]);
    expect(as.status('shop/web')?.config.target).toBe(100);
    as.sync([view([], { 'autoscaling.knative.dev/target': '20', 'autoscaling.knative.dev/max-scale': '4' }, 0)]);
    expect(as.status('shop/web')?.config).toMatchObject({ target: 20, maxScale: 4 });
    as.sync([view([], { 'autoscaling.knative.dev/target': 'x' }, 0)]);
    expect(as.status('shop/web')?.config.target).toBe(100);
    expect(as.status('shop/web')?.problems).toHaveLength(1);
  });
});

describe('Autoscaler scrape failure logging', () => {
  it('logs a failing target at most once per 30 s and counts every failure', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
    let now = 0;
    const metrics = new AutoscalerMetrics();
    const as = new Autoscaler({
      scrape: async () => Promise.reject(new Error('refused')),
      actuator: recordingActuator(),
      metrics,
      logger,
      isLeader: () => true,
      clock: () => now,
    });
    as.sync([view(['http://127.0.0.1:1/metrics'])]);
    for (let i = 0; i < 5; i++) {
      await as.scrapeTick();
      now += 1000;
    }
    const failures = () => lines.map((l) => JSON.parse(l) as { msg: string; suppressed: number }).filter((l) => l.msg === 'scrape failed; pod skipped');
    expect(failures()).toHaveLength(1);
    now = 30_000;
    await as.scrapeTick();
    expect(failures().map((l) => l.suppressed)).toEqual([0, 4]);
    const counted = (await metrics.scrapeErrors.get()).values.reduce((sum, v) => sum + v.value, 0);
    expect(counted).toBe(6);
  });
});
