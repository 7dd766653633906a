import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTempDir, sharedPort, waitFor, type TempDir } from '@trellis/testing';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOutbound, type Outbound } from './index';
import { buildDestination, spawnDestination, type DestinationProcess } from './testing/destination-process';
import { get, startBackend, type TestBackend } from './testing/harness';
import { startLoad } from './testing/load';

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
---
apiVersion: linkerd.io/v1alpha2
kind: ServiceProfile
metadata: { name: web.demo.svc.cluster.local, namespace: demo }
spec:
  routes:
    - name: slow
      condition: { method: GET, pathRegex: /slow }
      timeout: 200ms
`;
}

// Spawning the destination twice takes long on a busy two-core machine.
const SPAWN_TEST_TIMEOUT_MS = 90_000;

describe('outbound against the real destination service (fs source)', () => {
  let dir: TempDir;
  let destination: DestinationProcess;
  let outbound: Outbound;
  let registry: Registry;
  let a: TestBackend;
  let b: TestBackend;
  const timers: NodeJS.Timeout[] = [];

  const write = async (ips: string[]) => {
    const aside = join(dir.path, '.web.yaml.tmp');
    await writeFile(aside, manifests(a.port, ips));
    await rename(aside, join(dir.path, 'web.yaml'));
  };

  beforeAll(async () => {
    await buildDestination();
    const port = await sharedPort(['127.0.0.2', '127.0.0.3']);
    const handler: Parameters<typeof startBackend>[1] = (req, res, backend) => {
      if (req.url === '/slow') timers.push(setTimeout(() => res.end('late'), 3_000));
      else res.end(backend.name);
    };
    a = await startBackend('a', handler, '127.0.0.2', port);
    b = await startBackend('b', handler, '127.0.0.3', port);
    dir = await createTempDir('trellis-outbound-');
    await write(['127.0.0.2']);
    destination = await spawnDestination(dir.path);
    registry = new Registry();
    outbound = await startOutbound({
      env: {
        TRELLIS_OUTBOUND_ADDR: '127.0.0.1:0',
        TRELLIS_DESTINATION_ADDR: `127.0.0.1:${destination.grpcPort}`,
        TRELLIS_POLICY_PORT: String(destination.policyPort),
      },
      registry,
      logger: pino({ level: 'silent' }),
    });
  }, SPAWN_TEST_TIMEOUT_MS);

  afterAll(async () => {
    timers.forEach(clearTimeout);
    await outbound?.close();
    await destination?.kill();
    await a?.close();
    await b?.close();
    await dir?.remove();
  });

  it('follows endpoint changes and survives a destination restart under load with no failed request', async () => {
    const port = outbound.address?.port ?? 0;
    expect(await get(port, 'web.demo')).toMatchObject({ status: 200, body: 'a' });
    // Served by the real profile translation: the route times out after 200 ms.
    const slow = await get(port, 'web.demo', '/slow');
    expect(slow.status).toBe(504);

    const load = startLoad({ port, host: 'web.demo', workers: 4, maxRequests: 50_000, maxMs: 80_000 });
    await write(['127.0.0.2', '127.0.0.3']);
    await waitFor(() => b.served > 20, { what: 'traffic to the added endpoint' });

    const { grpcPort, policyPort } = destination;
    await destination.kill();
    const before = a.served + b.served;
    await waitFor(async () => /outbound_discovery_reconnects\{kind="resolve"\} [1-9]/.test(await registry.metrics()), { intervalMs: 50, what: 'a reconnect' });
    await waitFor(() => a.served + b.served > before + 100, { what: 'traffic while the destination is down' });

    destination = await spawnDestination(dir.path, grpcPort, policyPort);
    await write(['127.0.0.3']);
    // The resolve stream reconnects on its backoff (doubling to 5 s): the next attempt can come 5.5 s after the
    // previous one, on top of the restart itself, which takes seconds on a busy machine.
    await waitFor(async () => {
      const start = a.served;
      await new Promise((r) => setTimeout(r, 300));
      return a.served === start;
    }, { timeoutMs: 30_000, what: 'the removed endpoint to stop getting traffic' });
    const bBefore = b.served;
    await waitFor(() => b.served > bBefore + 50, { what: 'traffic after the restart' });
    await load.stop();
    expect(Object.fromEntries(load.results)).toEqual({ '200': load.sent() });
  }, SPAWN_TEST_TIMEOUT_MS);

  it("balances a Service by its annotations: ring hash keyed on a header sends each key to one endpoint", async () => {
    const port = outbound.address?.port ?? 0;
    const sticky = manifests(a.port, ['127.0.0.2', '127.0.0.3'])
      .replaceAll('name: web', 'name: sticky')
      .replaceAll('service-name: web', 'service-name: sticky')
      .replace('metadata: { name: sticky, namespace: demo }', [
        'metadata:',
        '  name: sticky',
        '  namespace: demo',
        '  annotations: { balancer.trellis.io/algorithm: ring-hash, balancer.trellis.io/hash-key: "header:x-user" }',
      ].join('\n'))
      .replace('web.demo.svc.cluster.local', 'sticky.demo.svc.cluster.local');
    await writeFile(join(dir.path, 'sticky.yaml'), sticky);
    const keys = Array.from({ length: 12 }, (_, i) => `user-${i}`);
    const owners = async () => {
      const seen = new Map<string, Set<string>>();
      for (const key of keys) {
        for (let i = 0; i < 5; i++) {
          const r = await get(port, 'sticky.demo', '/', { headers: { 'x-user': key } });
          if (r.status !== 200) return undefined;
          seen.set(key, (seen.get(key) ?? new Set()).add(r.body));
        }
      }
      return seen;
    };
    // The first answers may predate the Service (not found yet), its policy or its second endpoint; then every key
    // keeps one endpoint, and the keys spread over both.
    const usedBy = (s: Map<string, Set<string>>) => new Set([...s.values()].flatMap((set) => [...set]));
    const seen = await waitFor(async () => {
      const s = await owners();
      return s !== undefined && [...s.values()].every((set) => set.size === 1) && usedBy(s).size === 2 ? s : undefined;
    }, { timeoutMs: 20_000, what: 'one endpoint per key, both endpoints in use' });
    expect(usedBy(seen)).toEqual(new Set(['a', 'b']));
  }, SPAWN_TEST_TIMEOUT_MS);
});
