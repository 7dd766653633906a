import { request, Agent, type IncomingHttpHeaders } from 'node:http';
import { connect as connectHttp2 } from 'node:http2';
import { connect as connectTcp, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { metric } from '../outbound/testing/harness';
import { startHarness, until, type Harness } from './testing/harness';
import { ipv4Network, serverPolicy, startFakePolicyServer, type FakePolicyServer } from './testing/policy-server';

/** Two loopback sources: 127.0.0.1 is "in the cluster" in these tests, 127.0.0.2 is not. */
const INSIDE = '127.0.0.1';
const OUTSIDE = '127.0.0.2';

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  socket: Socket;
}

/** One HTTP/1.1 request from `localAddress`, on a fresh connection or the agent's keep-alive one. */
function call(port: number, path: string, options: { from?: string; agent?: Agent; headers?: Record<string, string> } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: INSIDE, port, path, localAddress: options.from ?? INSIDE, agent: options.agent ?? false, headers: options.headers });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, socket: req.socket as Socket }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A gRPC-shaped h2c request from `localAddress`: status, headers (trailers-only answers carry grpc-status there). */
function grpcCall(port: number, from: string): Promise<{ status: number; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const session = connectHttp2(`http://${INSIDE}:${port}`, { createConnection: () => connectTcp({ host: INSIDE, port, localAddress: from }) });
    session.on('error', reject);
    const stream = session.request({ ':method': 'POST', ':path': '/shop.Cart/Add', 'content-type': 'application/grpc', te: 'trailers' });
    let headers: Record<string, unknown> = {};
    stream.on('response', (h) => (headers = { ...h }));
    stream.on('trailers', (t) => (headers = { ...headers, ...t }));
    stream.resume();
    stream.on('end', () => {
      session.close();
      resolve({ status: Number(headers[':status']), headers });
    });
    stream.on('error', reject);
    stream.end();
  });
}

async function scrape(h: Harness): Promise<string> {
  return h.registry.metrics();
}

async function filtersOf(h: Harness): Promise<string[]> {
  const res = await fetch(`http://${INSIDE}:${h.inbound.ports.admin}/filters`);
  return ((await res.json()) as { inbound: string[] }).inbound;
}

describe('static policy: cluster-unauthenticated by network', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ TRELLIS_DEFAULT_INBOUND_POLICY: 'cluster-unauthenticated', TRELLIS_CLUSTER_NETWORKS: `${INSIDE}/32` });
  });
  afterAll(() => h.close());

  it('lets a caller from the cluster network through and answers one from outside 403 with l5d-proxy-error', async () => {
    const inside = await call(h.inbound.ports.http, '/');
    expect(inside.status).toBe(200);
    const outside = await call(h.inbound.ports.http, '/', { from: OUTSIDE });
    expect(outside.status).toBe(403);
    expect(outside.headers['l5d-proxy-error']).toBe('unauthorized request on route');
    expect(outside.body).toBe('unauthorized request on route\n');
    expect(h.app.seen.filter((r) => r.url === '/')).toHaveLength(1);

    const text = await scrape(h);
    const server = 'srv_kind="default",srv_name="cluster-unauthenticated"';
    expect(metric(text, 'inbound_http_authz_allow_total', `${server},route_name="default",authz_name="cluster-unauthenticated",tls="no_identity"`)).toBe(1);
    expect(metric(text, 'inbound_http_authz_deny_total', `${server},route_name="default",tls="no_identity"`)).toBe(1);
  });

  it('answers a denied gRPC caller with PERMISSION_DENIED, on both inbound ports', async () => {
    for (const port of [h.inbound.ports.http, h.inbound.ports.h2c]) {
      const denied = await grpcCall(port, OUTSIDE);
      expect(denied.status).toBe(200);
      expect(denied.headers['grpc-status']).toBe('7');
      expect(denied.headers['l5d-proxy-error']).toBe('unauthorized request on route');
      expect((await grpcCall(port, INSIDE)).headers['grpc-status']).not.toBe('7');
    }
  });

  it('still answers probes from outside (they never reach the app)', async () => {
    const probe = await call(h.inbound.ports.http, '/', { from: OUTSIDE, headers: { 'k-network-probe': 'queue' } });
    expect(probe.status).toBe(200);
    expect(probe.body).toBe('queue');
  });
});

describe('static policy: deny, and audit mode', () => {
  const hs: Harness[] = [];
  afterEach(async () => {
    await Promise.all(hs.splice(0).map((h) => h.close()));
  });

  it('deny refuses everyone with 403', async () => {
    const h = await startHarness({ TRELLIS_DEFAULT_INBOUND_POLICY: 'deny' });
    hs.push(h);
    expect((await call(h.inbound.ports.http, '/')).status).toBe(403);
    expect(h.app.seen).toHaveLength(0);
  });

  it('audit mode lets what deny would refuse through, counted under the audit authorization', async () => {
    const h = await startHarness({ TRELLIS_DEFAULT_INBOUND_POLICY: 'deny', TRELLIS_INBOUND_POLICY_AUDIT: 'true' });
    hs.push(h);
    expect((await call(h.inbound.ports.http, '/')).status).toBe(200);
    const text = await scrape(h);
    expect(metric(text, 'inbound_http_authz_allow_total', 'srv_name="deny",authz_kind="default",authz_name="audit"')).toBe(1);
    expect(metric(text, 'inbound_http_authz_deny_total', 'srv_name="deny"')).toBe(0);
  });
});

describe('static rate limit (TRELLIS_INBOUND_RATE_LIMIT)', () => {
  const RPS = 20;
  const REQUESTS = 150;
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ TRELLIS_INBOUND_RATE_LIMIT: JSON.stringify({ total: { requestsPerSecond: RPS } }) });
  });
  afterAll(() => h.close());

  it('admits the burst plus the rate over a bounded run, and answers the rest 429 with Retry-After', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    const started = performance.now();
    const statuses: number[] = [];
    const refused: Answer[] = [];
    for (let i = 0; i < REQUESTS; i += 5) {
      const burst = await Promise.all(Array.from({ length: 5 }, () => call(h.inbound.ports.http, '/', { agent })));
      for (const a of burst) {
        statuses.push(a.status);
        if (a.status === 429) refused.push(a);
      }
    }
    const elapsedSeconds = (performance.now() - started) / 1000;
    agent.destroy();
    const admitted = statuses.filter((s) => s === 200).length;
    expect(admitted + refused.length).toBe(REQUESTS);
    // A bucket of one second's worth (RPS), refilled at RPS per second: never more, and the burst at least.
    expect(admitted).toBeLessThanOrEqual(RPS + Math.ceil(RPS * elapsedSeconds) + 1);
    expect(admitted).toBeGreaterThanOrEqual(RPS);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0]?.headers['retry-after']).toBe('1');
    expect(refused[0]?.headers['l5d-proxy-error']).toBe('too many requests');
    const text = await scrape(h);
    expect(metric(text, 'inbound_http_local_ratelimit_rate_limited_total', 'ratelimit_name="static",scope="total"')).toBe(refused.length);
  });

  it('answers a rate-limited gRPC caller with RESOURCE_EXHAUSTED', async () => {
    const answers = await Promise.all(Array.from({ length: RPS * 2 }, () => grpcCall(h.inbound.ports.h2c, INSIDE)));
    expect(answers.some((a) => a.headers['grpc-status'] === '8')).toBe(true);
  });
});

describe('named filters', () => {
  const hs: Harness[] = [];
  afterEach(async () => {
    await Promise.all(hs.splice(0).map((h) => h.close()));
  });

  it('lists the filters that run, in order, on the admin port', async () => {
    const h = await startHarness({});
    hs.push(h);
    const expected = ['health', 'request-metrics', 'authorization', 'rate-limit', 'timeouts', 'forwarded', 'client-identity', 'stats', 'app-metrics', 'forward'];
    expect(h.inbound.filters).toEqual(expected);
    expect(await filtersOf(h)).toEqual(expected);
  });

  it('adds the access log outermost and the breaker before app metrics when they are on', async () => {
    const h = await startHarness({ TRELLIS_ACCESS_LOG: '1', CONTAINER_CONCURRENCY: '4', SERVING_ENABLE_REQUEST_LOG: 'true' }, { writeLine: () => undefined });
    hs.push(h);
    expect(await filtersOf(h)).toEqual([
      'access-log',
      'request-log',
      'health',
      'request-metrics',
      'authorization',
      'rate-limit',
      'timeouts',
      'forwarded',
      'client-identity',
      'stats',
      'breaker',
      'app-metrics',
      'forward',
    ]);
  });
});

describe('access log (TRELLIS_ACCESS_LOG=1)', () => {
  it("writes one line per request with Envoy's default fields", async () => {
    const lines: string[] = [];
    const h = await startHarness(
      { TRELLIS_ACCESS_LOG: '1', TRELLIS_DEFAULT_INBOUND_POLICY: 'cluster-unauthenticated', TRELLIS_CLUSTER_NETWORKS: `${INSIDE}/32` },
      { writeLine: (line) => lines.push(line) },
    );
    try {
      await call(h.inbound.ports.http, '/echo?x=1', { headers: { 'x-request-id': 'req-1', 'user-agent': 'test/1', 'x-forwarded-for': '192.0.2.7' } });
      await call(h.inbound.ports.http, '/secret', { from: OUTSIDE });
      await until(() => lines.length === 2, 5_000, 'two access-log lines');
    } finally {
      await h.close();
    }
    const [ok, denied] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(ok).toMatchObject({
      msg: 'access',
      direction: 'inbound',
      method: 'GET',
      path: '/echo?x=1',
      protocol: 'HTTP/1.1',
      response_code: 200,
      response_flags: '-',
      bytes_received: 0,
      x_forwarded_for: '192.0.2.7',
      user_agent: 'test/1',
      request_id: 'req-1',
      authority: `${INSIDE}:${h.inbound.ports.http}`,
      upstream_host: `127.0.0.1:${h.app.port}`,
    });
    expect(ok?.bytes_sent).toBeGreaterThan(0);
    expect(typeof ok?.upstream_service_time).toBe('number');
    expect(Number.isNaN(Date.parse(String(ok?.start_time)))).toBe(false);
    expect(denied).toMatchObject({ path: '/secret', response_code: 403, response_flags: 'UAEX', upstream_host: '-', upstream_service_time: '-', request_id: '-' });
  });
});

describe('policy from InboundServerPolicies (an in-test WatchPort server)', () => {
  let policy: FakePolicyServer;
  let h: Harness;
  const insideOnly = serverPolicy({ name: 'web-http', authz: 'inside', networks: [ipv4Network(INSIDE, 32)] });
  const outsideOnly = serverPolicy({ name: 'web-http', authz: 'outside', networks: [ipv4Network(OUTSIDE, 32)] });

  beforeAll(async () => {
    policy = await startFakePolicyServer();
    policy.push(insideOnly);
    h = await startHarness({ TRELLIS_POLICY_ADDR: `127.0.0.1:${policy.port}`, TRELLIS_DEFAULT_INBOUND_POLICY: 'deny' });
    await until(async () => metric(await scrape(h), 'inbound_policy_updates_applied_total', 'source="server"') >= 1, 10_000, 'the first policy');
  });
  afterAll(async () => {
    await h.close();
    await policy.close();
  });

  it("watches the app's port as the workload {ns, pod}", () => {
    expect(policy.watches[0]).toEqual({ workload: JSON.stringify({ ns: 'default', pod: 'hello-00001-pod' }), port: h.app.port });
  });

  it('applies a policy change live, on an open keep-alive connection, without dropping it', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await call(h.inbound.ports.http, '/', { agent });
      expect(first.status).toBe(200);
      const applied = metric(await scrape(h), 'inbound_policy_updates_applied_total', 'source="server"');
      policy.push(outsideOnly);
      await until(async () => metric(await scrape(h), 'inbound_policy_updates_applied_total', 'source="server"') > applied, 5_000, 'the new policy');
      const second = await call(h.inbound.ports.http, '/', { agent });
      expect(second.status).toBe(403);
      expect(second.socket).toBe(first.socket);
      policy.push(insideOnly);
      await until(async () => (await call(h.inbound.ports.http, '/', { agent })).status === 200, 5_000, 'the first policy back');
      const third = await call(h.inbound.ports.http, '/', { agent });
      expect(third.socket).toBe(first.socket);
      expect(first.socket.destroyed).toBe(false);
    } finally {
      agent.destroy();
    }
  });

  it('rejects a bad update with its reason and keeps the last valid policy', async () => {
    const bad = serverPolicy({ name: 'web-http', networks: [ipv4Network('10.0.0.0', 33)] });
    policy.push(bad);
    await until(async () => metric(await scrape(h), 'inbound_policy_updates_rejected_total', 'reason="INVALID_CIDR"') === 1, 5_000, 'the rejection');
    expect((await call(h.inbound.ports.http, '/')).status).toBe(200);
    expect((await call(h.inbound.ports.http, '/', { from: OUTSIDE })).status).toBe(403);
    const zeroRate = serverPolicy({ name: 'web-http', networks: [ipv4Network(OUTSIDE, 32)], rateLimit: { total: { requestsPerSecond: 0 }, overrides: [] } });
    policy.push(zeroRate);
    await until(async () => metric(await scrape(h), 'inbound_policy_updates_rejected_total', 'reason="INVALID_RATE"') === 1, 5_000, 'the rejection');
    expect((await call(h.inbound.ports.http, '/')).status).toBe(200);
  });

  it('keeps the last policy while the stream is lost, and takes the new one after reconnecting', async () => {
    policy.push(insideOnly);
    const watches = policy.watches.length;
    policy.dropStreams();
    expect((await call(h.inbound.ports.http, '/')).status).toBe(200);
    expect((await call(h.inbound.ports.http, '/', { from: OUTSIDE })).status).toBe(403);
    await until(() => policy.watches.length > watches && policy.openStreams() === 1, 10_000, 'a new WatchPort stream');
    expect(Number(/^inbound_policy_stream_reconnects_total (\d+)$/m.exec(await scrape(h))?.[1])).toBeGreaterThanOrEqual(1);
    policy.push(outsideOnly);
    await until(async () => (await call(h.inbound.ports.http, '/', { from: OUTSIDE })).status === 200, 5_000, 'the policy sent after the reconnect');
  });

  it('answers a request no route matches 404, and one whose route denies it 403', async () => {
    const base = serverPolicy({ name: 'web-http', networks: [ipv4Network(INSIDE, 32)] });
    const routed = {
      ...base,
      protocol: {
        kind: {
          $case: 'http1' as const,
          value: {
            routes: [
              {
                metadata: { kind: { $case: 'default' as const, value: 'api' } },
                hosts: [],
                rules: [{ matches: [{ path: { kind: { $case: 'prefix' as const, value: '/api' } }, headers: [], queryParams: [] }], filters: [] }],
                authorizations: base.authorizations,
              },
            ],
          },
        },
      },
    };
    policy.push(routed);
    await until(async () => (await call(h.inbound.ports.http, '/elsewhere')).status === 404, 5_000, 'the routed policy');
    const notFound = await call(h.inbound.ports.http, '/elsewhere');
    expect(notFound.headers['l5d-proxy-error']).toBe('no route found for request');
    expect((await call(h.inbound.ports.http, '/api/items')).status).toBe(200);
    expect((await call(h.inbound.ports.http, '/api/items', { from: OUTSIDE })).status).toBe(403);
    const text = await scrape(h);
    expect(metric(text, 'inbound_http_route_not_found_total', 'srv_name="web-http"')).toBeGreaterThanOrEqual(2);
    expect(metric(text, 'inbound_http_authz_deny_total', 'srv_name="web-http",route_name="api"')).toBe(1);
  });

  it('applies the rate limit the Server carries', async () => {
    policy.push(serverPolicy({ name: 'web-http', networks: [ipv4Network(INSIDE, 32)], rateLimit: { total: { requestsPerSecond: 5 }, overrides: [] } }));
    await until(async () => (await call(h.inbound.ports.http, '/')).status === 429, 5_000, 'a 429');
    const text = await scrape(h);
    expect(metric(text, 'inbound_http_local_ratelimit_rate_limited_total', 'srv_name="web-http",scope="total"')).toBeGreaterThanOrEqual(1);
  });
});
