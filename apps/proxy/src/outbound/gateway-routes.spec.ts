import { credentials, type Client, type ServiceError } from '@grpc/grpc-js';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTempDir, waitFor, type TempDir } from '@trellis/testing';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOutbound, type Outbound } from './index';
import { buildDestination, spawnDestination, type DestinationProcess } from './testing/destination-process';
import { EchoClient, startGrpcEcho } from './testing/grpc-echo';
import { get, metric, startBackend, type TestBackend } from './testing/harness';

// Spawning the destination takes long on a busy two-core machine.
const SPAWN_TEST_TIMEOUT_MS = 90_000;
const ROUTES_TIMEOUT_MS = 20_000;

/** A Service and its one-endpoint EndpointSlice: `port` 80 (or `servicePort`) to the backend's port on 127.0.0.1. */
function service(name: string, namespace: string, backendPort: number, servicePort = 80): string {
  return `apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: ${namespace} }
spec:
  ports: [{ name: http, port: ${servicePort}, targetPort: ${backendPort} }]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: ${name}-1
  namespace: ${namespace}
  labels: { kubernetes.io/service-name: ${name} }
addressType: IPv4
ports: [{ name: http, port: ${backendPort} }]
endpoints:
  - addresses: ["127.0.0.1"]
`;
}

function routes(): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: cart-canary, namespace: shop }
spec:
  parentRefs: [{ group: "", kind: Service, name: cart, port: 80 }]
  rules:
    - matches: [{ headers: [{ name: x-canary, value: "yes" }] }]
      backendRefs: [{ name: cart-v2, port: 80 }]
    - backendRefs:
        - { name: cart-v1, port: 80, weight: 80 }
        - { name: cart-v2, port: 80, weight: 20 }
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: slow-api, namespace: shop }
spec:
  parentRefs: [{ group: "", kind: Service, name: slow, port: 80 }]
  rules:
    - matches: [{ path: { type: PathPrefix, value: /api } }]
      timeouts: { request: 200ms }
      filters:
        - type: RequestHeaderModifier
          requestHeaderModifier: { set: [{ name: x-route, value: slow-api }] }
        - type: ResponseHeaderModifier
          responseHeaderModifier: { add: [{ name: x-served-by, value: trellis }] }
      backendRefs: [{ name: slow, port: 80 }]
    - matches: [{ path: { type: PathPrefix, value: /old } }]
      filters:
        - type: RequestRedirect
          requestRedirect: { hostname: new.example, statusCode: 301 }
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: patient-api
  namespace: shop
  annotations: { retry.linkerd.io/http: "503", retry.linkerd.io/limit: "1" }
spec:
  parentRefs: [{ group: "", kind: Service, name: patient, port: 80 }]
  rules:
    - timeouts: { request: 5s, backendRequest: 150ms }
      backendRefs: [{ name: patient, port: 80 }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: flaky-retry
  namespace: shop
  annotations: { retry.linkerd.io/http: "503", retry.linkerd.io/limit: "2" }
spec:
  parentRefs: [{ group: "", kind: Service, name: flaky, port: 80 }]
  rules: [{ backendRefs: [{ name: flaky, port: 80 }] }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata:
  name: echo-flaky
  namespace: shop
  annotations: { retry.linkerd.io/grpc: unavailable }
spec:
  parentRefs: [{ group: "", kind: Service, name: echo, port: 9090 }]
  rules:
    - matches: [{ method: { service: trellis.test.Echo, method: Flaky } }]
      backendRefs: [{ name: echo-b, port: 9090 }]
    - matches: [{ method: { service: trellis.test.Echo } }]
      backendRefs: [{ name: echo-a, port: 9090 }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: users-producer, namespace: shop }
spec:
  parentRefs: [{ group: "", kind: Service, name: users, port: 80 }]
  rules: [{ backendRefs: [{ name: cart-v1, port: 80 }] }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: users-for-web, namespace: web }
spec:
  parentRefs: [{ group: "", kind: Service, name: users, namespace: shop, port: 80 }]
  rules: [{ backendRefs: [{ name: cart-v2, namespace: shop, port: 80 }] }]
`;
}

/** The same scenarios from a ServiceProfile: with no route attached, the proxy routes by GetProfile. */
function profile(name: string, split: boolean): string {
  return `apiVersion: linkerd.io/v1alpha2
kind: ServiceProfile
metadata: { name: ${name}.shop.svc.cluster.local, namespace: shop }
spec:
  routes:
    - name: slow
      condition: { method: GET, pathRegex: /api/slow }
      timeout: 200ms
    - name: flaky
      condition: { pathRegex: /flaky }
      isRetryable: true
${split ? '  dstOverrides:\n    - { authority: cart-v1.shop.svc.cluster.local:80, weight: 800m }\n    - { authority: cart-v2.shop.svc.cluster.local:80, weight: 200m }\n' : ''}`;
}

function unary(client: Client, method: 'unary' | 'flaky'): Promise<{ err: ServiceError | null }> {
  return new Promise((resolve) => {
    (client as unknown as Record<string, (req: Buffer, cb: (err: ServiceError | null) => void) => void>)[method]!(Buffer.from('hi'), (err) => resolve({ err }));
  });
}

describe('outbound routes from OutboundPolicies (HTTPRoute, GRPCRoute) served by the real destination', () => {
  let dir: TempDir;
  let destination: DestinationProcess;
  let web: Outbound;
  let other: Outbound;
  let registry: Registry;
  let otherRegistry: Registry;
  const backends: TestBackend[] = [];
  const grpc: { port: number; flakyCalls(): number; close(): void }[] = [];
  const timers: NodeJS.Timeout[] = [];
  let echoA: Awaited<ReturnType<typeof startGrpcEcho>>;
  let echoB: Awaited<ReturnType<typeof startGrpcEcho>>;
  let slow: TestBackend;
  let flaky: TestBackend;
  const seenRouteHeader: (string | undefined)[] = [];

  const accessLog: string[] = [];
  const startProxy = (namespace: string, reg: Registry) =>
    startOutbound({
      env: {
        TRELLIS_OUTBOUND_ADDR: '127.0.0.1:0',
        TRELLIS_DESTINATION_ADDR: `127.0.0.1:${destination.grpcPort}`,
        TRELLIS_POLICY_PORT: String(destination.policyPort),
        TRELLIS_NAMESPACE: namespace,
        TRELLIS_ACCESS_LOG: '1',
      },
      registry: reg,
      logger: pino({ level: process.env['TEST_LOG_LEVEL'] ?? 'silent' }),
      writeAccessLog: (line) => accessLog.push(line),
    });

  beforeAll(async () => {
    await buildDestination();
    const v1 = await startBackend('v1');
    const v2 = await startBackend('v2');
    slow = await startBackend('slow', (req, res) => {
      seenRouteHeader.push(req.headers['x-route'] as string | undefined);
      if (req.url?.startsWith('/api/slow')) timers.push(setTimeout(() => res.end('late'), 3_000));
      else res.end('quick');
    });
    flaky = await startBackend('flaky', (_req, res, b) => {
      res.statusCode = b.served % 2 === 1 ? 503 : 200;
      res.end(String(res.statusCode));
    });
    backends.push(v1, v2, slow, flaky);
    echoA = await startGrpcEcho();
    echoB = await startGrpcEcho();
    grpc.push(echoA, echoB);
    dir = await createTempDir('trellis-gateway-routes-');
    const manifests = [
      service('cart', 'shop', v1.port),
      service('cart-v1', 'shop', v1.port),
      service('cart-v2', 'shop', v2.port),
      service('users', 'shop', v1.port),
      service('slow', 'shop', slow.port),
      service('flaky', 'shop', flaky.port),
      service('patient', 'shop', slow.port),
      service('echo', 'shop', echoA.port, 9090),
      service('echo-a', 'shop', echoA.port, 9090),
      service('echo-b', 'shop', echoB.port, 9090),
      service('legacy', 'shop', v1.port),
      service('legacy-slow', 'shop', slow.port),
      service('legacy-flaky', 'shop', flaky.port),
      routes(),
      profile('legacy', true),
      profile('legacy-slow', false),
      profile('legacy-flaky', false),
    ].join('---\n');
    const aside = join(dir.path, '.mesh.yaml.tmp');
    await writeFile(aside, manifests);
    await rename(aside, join(dir.path, 'mesh.yaml'));
    destination = await spawnDestination(dir.path);
    registry = new Registry();
    web = await startProxy('web', registry);
    otherRegistry = new Registry();
    other = await startProxy('other', otherRegistry);
  }, SPAWN_TEST_TIMEOUT_MS);

  afterAll(async () => {
    timers.forEach(clearTimeout);
    await web?.close();
    await other?.close();
    await destination?.kill();
    await Promise.all(backends.map((b) => b.close()));
    grpc.forEach((g) => g.close());
    await dir?.remove();
  });

  it('splits an HTTPRoute rule 80/20 by weight, and sends a header match to its own rule', async () => {
    const port = other.address?.port ?? 0;
    await waitFor(async () => (await get(port, 'cart.shop', '/', { headers: { 'x-canary': 'yes' } })).body === 'v2', {
      timeoutMs: ROUTES_TIMEOUT_MS,
      what: 'the canary route in force',
    });
    for (let i = 0; i < 20; i++) expect((await get(port, 'cart.shop', '/', { headers: { 'x-canary': 'yes' } })).body).toBe('v2');
    const n = 400;
    let v2 = 0;
    for (let i = 0; i < n; i++) {
      const r = await get(port, 'cart.shop', `/items/${i}`);
      expect(r.status).toBe(200);
      if (r.body === 'v2') v2 += 1;
    }
    // Binomial(400, 0.2): sd = 8; +-4 sd.
    expect(v2).toBeGreaterThanOrEqual(48);
    expect(v2).toBeLessThanOrEqual(112);
  });

  it('answers 504 when the rule times out, applies its header filters, and 404 `no route` when no rule matches', async () => {
    const port = other.address?.port ?? 0;
    const quick = await waitFor(async () => {
      const r = await get(port, 'slow.shop', '/api/quick');
      return r.status === 200 ? r : undefined;
    }, { timeoutMs: ROUTES_TIMEOUT_MS, what: 'the slow-api route in force' });
    expect(quick.headers['x-served-by']).toBe('trellis');
    expect(seenRouteHeader.at(-1)).toBe('slow-api');
    const timedOut = await get(port, 'slow.shop', '/api/slow');
    expect(timedOut.status).toBe(504);
    expect(timedOut.headers['l5d-proxy-error']).toBe('request timed out');
    const unrouted = await get(port, 'slow.shop', '/elsewhere');
    expect(unrouted.status).toBe(404);
    expect(unrouted.headers['l5d-proxy-error']).toBe('no route');
  });

  it('answers a RequestRedirect rule itself, and logs the answer once it went out', async () => {
    const port = other.address?.port ?? 0;
    const moved = await waitFor(async () => {
      const r = await get(port, 'slow.shop', '/old/page?q=1');
      return r.status === 301 ? r : undefined;
    }, { timeoutMs: ROUTES_TIMEOUT_MS, what: 'the redirect rule in force' });
    expect(moved.headers.location).toBe('http://new.example/old/page?q=1');
    const logged = await waitFor(() => accessLog.map((l) => JSON.parse(l) as Record<string, unknown>).find((e) => e.path === '/old/page?q=1' && e.response_code === 301), {
      what: "the redirect's access-log line",
    });
    expect(logged).toMatchObject({ direction: 'outbound', authority: 'slow.shop', bytes_sent: 0 });
  });

  it('times out each attempt after backendRequest and retries it, then answers 504', async () => {
    const port = web.address?.port ?? 0;
    await waitFor(async () => (await get(port, 'patient.shop', '/api/quick')).status === 200, { timeoutMs: ROUTES_TIMEOUT_MS, what: 'the patient route in force' });
    const before = slow.served;
    const r = await get(port, 'patient.shop', '/api/slow');
    expect(r.status).toBe(504);
    expect(r.headers['l5d-proxy-error']).toBe('request timed out');
    // The first attempt and one retry (retry.linkerd.io/limit: 1), each cut after 150 ms.
    expect(slow.served - before).toBe(2);
    expect(metric(await registry.metrics(), 'route_retryable_total', 'rt_route="patient-api",skipped=""')).toBe(1);
  });

  it('retries a 503 on a route with retry.linkerd.io/http, counting it per route', async () => {
    const port = web.address?.port ?? 0;
    await waitFor(async () => {
      await get(port, 'flaky.shop', '/');
      return metric(await registry.metrics(), 'route_retryable_total', 'rt_route="flaky-retry",skipped=""') > 0;
    }, { timeoutMs: ROUTES_TIMEOUT_MS, what: 'the retry route in force' });
    const before = flaky.served;
    for (let i = 0; i < 10; i++) expect((await get(port, 'flaky.shop', '/')).status).toBe(200);
    // Every other answer is a 503: each request takes at most two attempts, and none fails.
    expect(flaky.served - before).toBeGreaterThanOrEqual(10);
    expect(flaky.served - before).toBeLessThanOrEqual(20);
  });

  it('routes a GRPCRoute by method, and retries UNAVAILABLE as its annotation says', async () => {
    const client = new EchoClient(`127.0.0.1:${other.address?.port ?? 0}`, credentials.createInsecure(), { 'grpc.default_authority': 'echo.shop:9090' });
    try {
      await waitFor(async () => (await unary(client, 'flaky')).err === null && echoB.flakyCalls() > 0, {
        timeoutMs: ROUTES_TIMEOUT_MS,
        what: 'the GRPCRoute in force',
      });
      const [a, b] = [echoA.flakyCalls(), echoB.flakyCalls()];
      for (let i = 0; i < 5; i++) expect((await unary(client, 'flaky')).err).toBeNull();
      expect((await unary(client, 'unary')).err).toBeNull();
      expect(echoA.flakyCalls()).toBe(a);
      // Every other call fails with UNAVAILABLE and is retried once on the same rule's backend.
      expect(echoB.flakyCalls() - b).toBeGreaterThanOrEqual(5);
      expect(echoB.flakyCalls() - b).toBeLessThanOrEqual(10);
    } finally {
      client.close();
    }
  });

  it("scopes routes by the client's namespace: a consumer route for `web`, the producer route for the rest", async () => {
    const body = async (o: Outbound) => (await get(o.address?.port ?? 0, 'users.shop', '/')).body;
    await waitFor(async () => (await body(web)) === 'v2' && (await body(other)) === 'v1', { timeoutMs: ROUTES_TIMEOUT_MS, what: 'both routes in force' });
    for (let i = 0; i < 10; i++) {
      expect(await body(web)).toBe('v2');
      expect(await body(other)).toBe('v1');
    }
  });

  it('serves the same scenarios from a ServiceProfile when no route is attached: split, timeout, budgeted retry', async () => {
    const port = other.address?.port ?? 0;
    await waitFor(async () => (await get(port, 'legacy-slow.shop', '/api/slow')).status === 504, { timeoutMs: ROUTES_TIMEOUT_MS, what: 'the profile in force' });
    const n = 400;
    let v2 = 0;
    for (let i = 0; i < n; i++) {
      const r = await get(port, 'legacy.shop', '/');
      expect(r.status).toBe(200);
      if (r.body === 'v2') v2 += 1;
    }
    expect(v2).toBeGreaterThanOrEqual(48);
    expect(v2).toBeLessThanOrEqual(112);
    // Not a Gateway API route: no rule matches /elsewhere and the profile's default route takes it.
    expect((await get(port, 'legacy-slow.shop', '/elsewhere')).body).toBe('quick');
    for (let i = 0; i < 6; i++) expect((await get(port, 'legacy-flaky.shop', '/flaky')).status).toBe(200);
    // Retried under the profile's budget (Linkerd's default: 10 retries per second at least).
    expect(metric(await otherRegistry.metrics(), 'route_retryable_total', 'rt_route="flaky",skipped=""')).toBeGreaterThanOrEqual(3);
  });
});
