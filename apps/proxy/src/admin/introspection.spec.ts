import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTempDir, sharedPort, waitFor, type TempDir } from '@trellis/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../inbound/testing/test-app';
import { buildDestination, spawnDestination, type DestinationProcess } from '../outbound/testing/destination-process';
import { get, startBackend, type TestBackend } from '../outbound/testing/harness';
import { buildProxy, fetchJson, fetchOnce, proxyEnv, spawnProxy, type ProxyProcess } from '../process/testing/proxy-process';
import type { ClustersView } from './introspection';

const AUTHORITY = 'web.demo.svc.cluster.local:80';
// Spawning the destination and the proxy takes long on a busy two-core machine.
const SPAWN_TIMEOUT_MS = 90_000;

function manifests(port: number, ips: string[]): string {
  return `apiVersion: v1
kind: Service
metadata: { name: web, namespace: demo }
spec:
  ports: [{ name: http, port: 80, targetPort: ${port} }]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: web-1
  namespace: demo
  labels: { kubernetes.io/service-name: web }
addressType: IPv4
ports: [{ name: http, port: ${port} }]
endpoints:
${ips.map((ip) => `  - addresses: ["${ip}"]`).join('\n')}
`;
}

describe('admin introspection (a real proxy against the real destination service)', () => {
  let dir: TempDir;
  let destination: DestinationProcess;
  let proxy: ProxyProcess;
  let app: TestApp;
  let a: TestBackend;
  let b: TestBackend;

  const write = async (ips: string[]) => {
    const aside = join(dir.path, '.web.yaml.tmp');
    await writeFile(aside, manifests(a.port, ips));
    await rename(aside, join(dir.path, 'web.yaml'));
  };
  const clusters = () => fetchJson<ClustersView>(proxy.ports.admin, '/clusters');
  const endpoints = async () => {
    const backend = (await clusters()).workers[0]?.snapshot?.outbound.backends.find((x) => x.authority === AUTHORITY);
    return backend?.endpoints.map((e) => e.id).sort();
  };

  beforeAll(async () => {
    await Promise.all([buildDestination(), buildProxy()]);
    const port = await sharedPort(['127.0.0.2', '127.0.0.3']);
    a = await startBackend('a', undefined, '127.0.0.2', port);
    b = await startBackend('b', undefined, '127.0.0.3', port);
    app = await startTestApp();
    dir = await createTempDir('trellis-introspection-');
    await write(['127.0.0.2']);
    destination = await spawnDestination(dir.path);
    proxy = await spawnProxy(
      proxyEnv(app.port, {
        TRELLIS_OUTBOUND_ADDR: '127.0.0.1:0',
        TRELLIS_DESTINATION_ADDR: `127.0.0.1:${destination.grpcPort}`,
        TRACING_CONFIG_BACKEND: 'zipkin',
        TRACING_CONFIG_ZIPKIN_ENDPOINT: 'http://tracer:s3cr3t@127.0.0.1:9/api/v2/spans',
        TRACING_CONFIG_SAMPLE_RATE: '0',
      }),
    );
  }, SPAWN_TIMEOUT_MS);

  afterAll(async () => {
    await proxy?.kill();
    await destination?.kill();
    await Promise.all([a?.close(), b?.close(), app?.close()]);
    await dir?.remove();
  });

  it('/clusters shows each discovery stream and backend, and follows a live endpoint change', async () => {
    expect(await get(proxy.outbound ?? 0, 'web.demo')).toMatchObject({ status: 200 });
    const first = await clusters();
    expect(first).toMatchObject({ mode: 'single', generation: 1, workers: [{ state: 'serving', pid: proxy.child.pid }] });
    const snapshot = first.workers[0]?.snapshot;
    expect(snapshot?.outbound.discovery).toEqual(
      expect.arrayContaining([
        { kind: 'resolve', authority: AUTHORITY, state: 'live' },
        { kind: 'profile', authority: AUTHORITY, state: 'live' },
      ]),
    );
    const backend = snapshot?.outbound.backends.find((x) => x.authority === AUTHORITY);
    expect(backend).toMatchObject({ resolution: 'endpoints', balancer: 'peak-ewma', gate: 'open', waiting: 0 });
    expect(backend?.endpoints).toEqual([
      { id: `127.0.0.2:${a.port}`, weight: expect.any(Number), state: 'ready', load: { rttMs: expect.any(Number), cost: expect.any(Number), pending: 0, active: 0 } },
    ]);

    await write(['127.0.0.2', '127.0.0.3']);
    await waitFor(async () => (await endpoints())?.length === 2, { what: 'the added endpoint in /clusters' });
    expect(await endpoints()).toEqual([`127.0.0.2:${a.port}`, `127.0.0.3:${b.port}`]);
    await write(['127.0.0.3']);
    await waitFor(async () => (await endpoints())?.length === 1, { what: 'the removed endpoint gone from /clusters' });
    expect(await endpoints()).toEqual([`127.0.0.3:${b.port}`]);

    const page = await fetchOnce(proxy.ports.admin, '/controlz');
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.body).toContain(`<td>127.0.0.3:${b.port}</td>`);
    expect(page.body).toContain(AUTHORITY);
  }, SPAWN_TIMEOUT_MS);

  it('/config_dump shows the effective settings with nothing secret', async () => {
    const dump = await fetchOnce(proxy.ports.admin, '/config_dump');
    expect(dump.status).toBe(200);
    const body = JSON.parse(dump.body) as { config: { inbound: { userPort: number; tracing: { zipkinEndpoint: string } }; outbound: { destinationAddr: string } } };
    expect(body.config.inbound.userPort).toBe(app.port);
    expect(body.config.outbound.destinationAddr).toBe(`127.0.0.1:${destination.grpcPort}`);
    expect(body.config.inbound.tracing.zipkinEndpoint).toBe('http://[redacted]@127.0.0.1:9/api/v2/spans');
    expect(dump.body).not.toContain('s3cr3t');
    expect((await fetchOnce(proxy.ports.admin, '/controlz')).body).not.toContain('s3cr3t');
    // Hot restart needs the supervisor; a single process says so.
    const restart = await fetchOnce(proxy.ports.admin, '/hot-restart', { method: 'POST' });
    expect({ status: restart.status, body: JSON.parse(restart.body) }).toEqual({ status: 409, body: { error: 'hot restart needs the supervisor: set TRELLIS_PROXY_WORKERS' } });
  }, 30_000);
});
