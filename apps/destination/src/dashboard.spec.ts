import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createFsSource } from '@trellis/kube';
import { createTempDir, waitFor } from '@trellis/testing';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDestination, type RunningDestination } from './destination';
import { serviceObject, sliceObject, yamlDocs } from './testing/manifests';

const DST = 'dst="web.shop.svc.cluster.local:80",direction="outbound"';
const REVISION = 'namespace_name="shop",configuration_name="web",revision_name="web",pod_name="web-0"';

/** A replica's proxy (its /metrics grows by 20 requests a scrape) that also plays the autoscaler's /metrics. */
function fakeProxy() {
  let total = 0;
  return createServer((_req, res) => {
    total += 20;
    res.writeHead(200, { 'content-type': 'text/plain' }).end(
      [
        `route_response_total{${DST},rt_route="GET /",classification="success"} ${total}`,
        `revision_request_total{${REVISION},response_code="200",response_code_class="2xx"} ${total}`,
        'autoscaler_desired_pods{namespace_name="shop",deployment_name="web"} 3',
      ].join('\n'),
    );
  });
}

const deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'shop' },
  spec: { replicas: 2, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app' }, { name: 'trellis-proxy' }] } } },
};

describe("the dashboard on the destination's admin port", () => {
  const proxy = fakeProxy();
  let dir: Awaited<ReturnType<typeof createTempDir>>;
  let source: ReturnType<typeof createFsSource>;
  let destination: RunningDestination;
  let admin = '';

  beforeAll(async () => {
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const port = (proxy.address() as AddressInfo).port;
    dir = await createTempDir('trellis-destination-dashboard-');
    await dir.write('web.yaml', yamlDocs(deployment, serviceObject('web', 'shop'), sliceObject('web-local', 'shop', 'web', [{ ip: '127.0.0.1', ready: true, pod: 'web-0' }])));
    source = createFsSource(dir.path);
    destination = await startDestination({
      source,
      logger: pino({ level: 'silent' }),
      host: '127.0.0.1',
      grpcPort: 0,
      policyPort: 0,
      adminPort: 0,
      clusterDomain: 'cluster.local',
      streamQueueLimit: 100,
      dashboard: { autoscaler: `127.0.0.1:${port}`, extraMetrics: [], proxyMetricsPort: port },
    });
    admin = `http://127.0.0.1:${destination.adminPort}`;
  });
  afterAll(async () => {
    await destination?.close();
    await source?.close();
    await dir?.remove();
    await new Promise<void>((r) => proxy.close(() => r()));
  });

  it('serves the page under /dashboard/ (redirecting /dashboard) next to /metrics', async () => {
    const redirect = await fetch(`${admin}/dashboard`, { redirect: 'manual' });
    expect(redirect.status).toBe(301);
    expect(redirect.headers.get('location')).toBe('/dashboard/');
    const page = await fetch(`${admin}/dashboard/`);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('<title>Trellis dashboard</title>');
    expect((await fetch(`${admin}/metrics`)).status).toBe(200);
    expect((await fetch(`${admin}/dashboard/nope`)).status).toBe(404);
  });

  it("reads the meshed pods the source knows and the autoscaler's decisions", async () => {
    interface State {
      services: { name: string; rps: number }[];
      deployments: { name: string; ready: number; desired: number; decided: number; rps: number }[];
    }
    const state = await waitFor(
      async () => {
        const res = await fetch(`${admin}/dashboard/api/state`);
        const s = res.status === 200 ? ((await res.json()) as State) : undefined;
        return s && s.deployments.some((d) => d.rps > 0) ? s : undefined;
      },
      { what: 'a state with traffic', timeoutMs: 15_000, intervalMs: 200 },
    );
    expect(state.deployments).toEqual([expect.objectContaining({ name: 'shop/web', ready: 1, desired: 2, decided: 3 })]);
    expect(state.services.find((s) => s.name === 'shop/web')?.rps).toBeGreaterThan(0);
  });
});
