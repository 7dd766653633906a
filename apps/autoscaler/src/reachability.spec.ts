import type { Deployment, EndpointSlice, Service } from '@trellis/kube';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actuator } from './actuator';
import { Autoscaler } from './autoscaler';
import { AutoscalerMetrics } from './metrics';
import { createScrapeClient } from './scrape-client';
import { startStatServer, type FakeStatServer } from './stat-server.test-helpers';
import { discoverTargets } from './targets';

// Knative 1.18 (knative/serving#15831): a revision nothing routes to scales down without waiting out the
// scale-down delay. Here through the real path: targets discovered from Deployment, Service and EndpointSlices,
// pods scraped over HTTP, decided by the KPA and actuated.

const deployment: Deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: {
    name: 'web',
    namespace: 'shop',
    annotations: {
      'autoscaling.knative.dev/class': 'kpa.autoscaling.knative.dev',
      'autoscaling.knative.dev/target': '10',
      'autoscaling.knative.dev/target-utilization-percentage': '100',
      'autoscaling.knative.dev/window': '6s',
      'autoscaling.knative.dev/scale-down-delay': '60s',
      'autoscaling.knative.dev/min-scale': '1',
    },
  },
  spec: { replicas: 3, template: { metadata: { labels: { app: 'web' } } } },
};
const service: Service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'shop' }, spec: { selector: { app: 'web' } } };

function slices(pods: FakeStatServer[]): EndpointSlice[] {
  return pods.map((p, i) => ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `web-${i}`, namespace: 'shop', labels: { 'kubernetes.io/service-name': 'web' } },
    addressType: 'IPv4',
    ports: [{ name: 'queue-metrics', port: p.port }],
    endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true }, targetRef: { kind: 'Pod', name: `web-${i}`, namespace: 'shop' } }],
  }));
}

describe('Autoscaler: Knative 1.18 reachability', () => {
  const scraper = createScrapeClient({ timeoutMs: 500 });
  const pods: FakeStatServer[] = [];
  beforeAll(async () => {
    for (let i = 0; i < 3; i++) pods.push(await startStatServer());
  });
  afterAll(async () => {
    await scraper.close();
    await Promise.all(pods.map((p) => p.close()));
  });

  /** 3 pods at 10 requests each for 10 s, then idle; the Service goes away (or not) when the load stops. */
  /** Returns every scale request with the seconds since the load stopped. */
  async function run(serviceRemains: boolean, idleSeconds: number): Promise<{ afterS: number; replicas: number }[]> {
    const calls: { afterS: number; replicas: number }[] = [];
    let now = 1_000_000;
    let idleSince = Infinity;
    const actuator: Actuator = { kind: 'fs', scale: async (_ns, _name, replicas) => void calls.push({ afterS: (now - idleSince) / 1000, replicas }) };
    const as = new Autoscaler({ scrape: scraper.scrape, actuator, metrics: new AutoscalerMetrics(), logger: pino({ level: 'silent' }), isLeader: () => true, clock: () => now, random: () => 0.5 });
    const tick = async (seconds: number) => {
      for (let s = 0; s < seconds; s++) {
        await as.scrapeTick();
        if (s % 2 === 1) as.decideTick();
        now += 1000;
      }
      await as.settled();
    };
    for (const p of pods) p.set({ averageConcurrentRequests: 10, requestCount: 10 });
    as.sync(discoverTargets({ deployments: [deployment], services: [service], endpointSlices: slices(pods), pods: [] }));
    await tick(10);
    expect(as.status('shop/web')?.desiredReplicas).toBe(3);
    expect(calls).toEqual([]);
    for (const p of pods) p.set({ averageConcurrentRequests: 0, requestCount: 0 });
    idleSince = now;
    as.sync(discoverTargets({ deployments: [deployment], services: serviceRemains ? [service] : [], endpointSlices: slices(pods), pods: [] }));
    await tick(idleSeconds);
    return calls;
  }

  it('keeps a reachable target at its peak for the scale-down delay (60 s), then halves it (max scale-down rate 2)', async () => {
    const calls = await run(true, 80);
    // The demand falls within the 6 s stable window; the delay then holds the peak for its 60 s (2 s buckets).
    expect(calls[0]?.afterS).toBeGreaterThanOrEqual(55);
    expect(calls[0]?.replicas).toBe(2);
  });

  it('scales an unreachable target (no Service selects its pods any more) down as soon as its demand falls, without the delay', async () => {
    const calls = await run(false, 80);
    expect(calls[0]?.afterS).toBeLessThanOrEqual(6);
    expect(calls[0]?.replicas).toBe(1);
  });
});
