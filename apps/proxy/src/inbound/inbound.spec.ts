import { spawnSync } from 'node:child_process';
import { connect, createServer, type AddressInfo } from 'node:net';
import { Stat } from '@trellis/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { open, openHttp2, send, sendHttp2, startHarness, until, type Harness } from './testing/harness';

const FAST_PROBES = { intervalMs: 20, attemptTimeoutMs: 50, windowMs: 300 };

async function scrape(port: number, accept?: string): Promise<{ contentType: string; bytes: Buffer }> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`, accept ? { headers: { accept } } : {});
  return { contentType: response.headers.get('content-type') ?? '', bytes: Buffer.from(await response.arrayBuffer()) };
}

/** revision_request_total for one status code (0 when the series does not exist yet). */
async function requestCount(h: Harness, status: string): Promise<number> {
  const text = (await scrape(h.metrics.port)).bytes.toString();
  const match = new RegExp(`^revision_request_total\\{[^}]*response_code="${status}"[^}]*\\} (\\d+)$`, 'm').exec(text);
  return match ? Number(match[1]) : 0;
}

async function queueDepth(h: Harness): Promise<number> {
  const text = (await scrape(h.metrics.port)).bytes.toString();
  const match = /^revision_queue_depth\{[^}]*\} (\d+)$/m.exec(text);
  return match ? Number(match[1]) : Number.NaN;
}

/** Writes raw bytes to a port and collects everything until the server closes the connection. */
function rawExchange(port: number, payload: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let received = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('end', () => resolve(received));
    socket.on('close', () => resolve(received));
    socket.on('error', reject);
    socket.write(payload);
  });
}

function promtool(text: string): { status: number | null; output: string } {
  const result = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (result.error && (result.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new Error('promtool is not on PATH: install Debian package "prometheus" (apt-get install -y prometheus)');
  }
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('breaker (CONTAINER_CONCURRENCY=2)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ CONTAINER_CONCURRENCY: '2' });
  });
  afterAll(() => h.close());

  it('runs 2, queues 20, refuses the 23rd at once; a waiting client that leaves frees its place', async () => {
    const port = h.inbound.ports.http;
    const running = [open(port, '/hang'), open(port, '/hang')];
    await until(() => h.app.inFlight() === 2, 5_000, 'two requests in the app');
    const waiting = Array.from({ length: 20 }, () => open(port, '/hang'));
    await until(async () => (await queueDepth(h)) === 20, 5_000, 'twenty queued requests');

    const refused = await send(port, '/');
    expect(refused.status).toBe(503);
    expect(refused.body).toBe('pending request queue full\n');
    expect(refused.headers['l5d-proxy-error']).toBe('pending request queue full');
    expect(h.app.inFlight()).toBe(2);

    waiting[7]?.abort();
    await until(async () => (await queueDepth(h)) === 19, 5_000, 'the queue to shrink');
    const late = open(port, '/hang');
    await until(async () => (await queueDepth(h)) === 20, 5_000, 'the freed place to be taken');
    expect((await send(port, '/')).status).toBe(503);

    running[0]?.abort();
    await until(() => h.app.inFlight() === 2 && h.app.seen.length === 3, 5_000, 'the first waiter to be admitted');
    for (const r of [...running, ...waiting, late]) r.abort();
    await until(async () => (await queueDepth(h)) === 0 && h.app.inFlight() === 0, 5_000, 'everything to end');
  });
});

describe('timeouts', () => {
  let overall: Harness;
  let start: Harness;
  let idle: Harness;
  beforeAll(async () => {
    [overall, start, idle] = await Promise.all([
      startHarness({ REVISION_TIMEOUT_SECONDS: '1' }),
      startHarness({ REVISION_TIMEOUT_SECONDS: '30', REVISION_RESPONSE_START_TIMEOUT_SECONDS: '1', CONTAINER_CONCURRENCY: '1' }),
      startHarness({ REVISION_TIMEOUT_SECONDS: '30', REVISION_IDLE_TIMEOUT_SECONDS: '1' }),
    ]);
  });
  afterAll(() => Promise.all([overall.close(), start.close(), idle.close()]));

  it('answers 504 naming each timeout kind when the app has not answered', async () => {
    const [a, b, c] = await Promise.all([
      send(overall.inbound.ports.http, '/hang'),
      send(start.inbound.ports.http, '/hang'),
      send(idle.inbound.ports.http, '/hang'),
    ]);
    expect([a.status, a.headers['l5d-proxy-error']]).toEqual([504, 'request timeout']);
    expect([b.status, b.headers['l5d-proxy-error']]).toEqual([504, 'response start timeout']);
    expect([c.status, c.headers['l5d-proxy-error']]).toEqual([504, 'idle timeout']);
    await until(() => overall.app.inFlight() + start.app.inFlight() + idle.app.inFlight() === 0, 5_000, 'the app requests to be cancelled');
  });

  it('answers 504 on an HTTP/2 stream too', async () => {
    const answered = await requestCount(overall, '504');
    const timedOut = await sendHttp2(overall.inbound.ports.h2c, '/hang');
    expect([timedOut.status, timedOut.headers['l5d-proxy-error'], timedOut.body]).toEqual([504, 'request timeout', 'request timeout\n']);
    await until(() => overall.app.inFlight() === 0, 5_000, 'the app request to be cancelled');
    // HEAD: the answer has no body (respond() ends the stream) and is recorded as answered, not as 499.
    const head = await sendHttp2(overall.inbound.ports.h2c, '/hang', { ':method': 'HEAD' });
    expect([head.status, head.body]).toEqual([504, '']);
    await until(async () => (await requestCount(overall, '504')) === answered + 2, 5_000, 'both 504 answers to be recorded');
    expect(await requestCount(overall, '499')).toBe(0);
  });

  it('a request waiting in the breaker queue leaves it with 504 when its timeout fires', async () => {
    const port = start.inbound.ports.http;
    const seenBefore = start.app.seen.length;
    // The running request started its response at once, so only the queued one can hit the timeout.
    const running = send(port, '/stall-body?ms=2500');
    await until(() => start.app.inFlight() === 1, 5_000, 'the running request');
    const queued = await send(port, '/hang');
    expect([queued.status, queued.headers['l5d-proxy-error']]).toEqual([504, 'response start timeout']);
    expect(start.app.seen.length - seenBefore).toBe(1);
    expect((await running).body).toBe('first last');
  });

  it('cuts a response that went idle after it started, but not one that started in time', async () => {
    await expect(send(idle.inbound.ports.http, '/stall-body?ms=3000')).rejects.toThrow();
    const slowBody = await send(start.inbound.ports.http, '/stall-body?ms=1500');
    expect([slowBody.status, slowBody.body]).toEqual([200, 'first last']);
  });
});

describe('probes, headers and protocols', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ TRELLIS_DRAIN_QUIET_PERIOD_MS: '400' }, { probeTiming: FAST_PROBES });
  });
  afterAll(() => h.close());

  it('answers Knative probes without reaching the app', async () => {
    const port = h.inbound.ports.http;
    const queue = await send(port, '/', { headers: { 'k-network-probe': 'queue' } });
    expect([queue.status, queue.body]).toEqual([200, 'queue']);
    const hash = await send(port, '/', { headers: { 'k-network-probe': 'probe', 'k-network-hash': 'abc123' } });
    expect([hash.status, hash.headers['k-network-hash']]).toEqual([200, 'abc123']);
    expect((await send(port, '/', { headers: { 'k-network-probe': 'probe' } })).status).toBe(400);
    expect((await send(port, '/', { headers: { 'k-network-probe': 'bogus' } })).status).toBe(400);
    const kubelet = await send(port, '/', { headers: { 'user-agent': 'kube-probe/1.30' } });
    expect([kubelet.status, kubelet.body]).toEqual([200, 'queue']);
    expect((await send(port, '/', { headers: { 'k-kubelet-probe': 'queue' } })).status).toBe(200);
    expect((await send(h.inbound.ports.admin, '/ready')).status).toBe(200);
    expect((await send(h.inbound.ports.admin, '/live')).status).toBe(200);
    expect(h.app.seen).toHaveLength(0);
  });

  it('synthesizes Forwarded from X-Forwarded-* (IPv6 bracketed and quoted) and keeps an existing one', async () => {
    const port = h.inbound.ports.http;
    const synthesized = JSON.parse(
      (
        await send(port, '/echo', {
          headers: { 'x-forwarded-for': '203.0.113.7, 2001:db8::1', 'x-forwarded-host': 'example.com', 'x-forwarded-proto': 'https' },
        })
      ).body,
    );
    expect(synthesized.headers.forwarded).toBe('for=203.0.113.7, for="[2001:db8::1]";host=example.com;proto=https');
    const kept = JSON.parse((await send(port, '/echo', { headers: { forwarded: 'for=1.1.1.1', 'x-forwarded-for': '2.2.2.2' } })).body);
    expect(kept.headers.forwarded).toBe('for=1.1.1.1');
  });

  it('strips hop-by-hop headers both ways and streams request bodies', async () => {
    const port = h.inbound.ports.http;
    const echoed = JSON.parse(
      (
        await send(port, '/echo', {
          method: 'POST',
          headers: { connection: 'x-secret', 'x-secret': '1', 'keep-alive': 'timeout=5', te: 'trailers', 'x-kept': 'yes' },
          body: 'x'.repeat(100_000),
        })
      ).body,
    );
    expect(echoed.headers['x-secret']).toBeUndefined();
    expect(echoed.headers.te).toBeUndefined();
    expect(echoed.headers['keep-alive']).toBeUndefined();
    expect(echoed.headers['x-kept']).toBe('yes');
    expect(echoed.bodyBytes).toBe(100_000);
    const response = await send(port, '/hop-by-hop');
    expect(response.headers['x-private']).toBeUndefined();
    expect(response.headers['x-public']).toBe('yes');
  });

  it('speaks h2c on the shared port and on the h2c port, HTTP/2 end to end with trailers', async () => {
    for (const port of [h.inbound.ports.http, h.inbound.ports.h2c]) {
      const echoed = await sendHttp2(port, '/echo');
      expect(echoed.status).toBe(200);
      expect(JSON.parse(echoed.body).httpVersion).toBe('2.0');
      const withTrailers = await sendHttp2(port, '/trailers');
      expect(withTrailers.body).toBe('with trailers');
      expect(withTrailers.trailers['grpc-status']).toBe('0');
    }
  });

  it('relays HTTP/2 request bodies without content-length (as gRPC sends them) and records HTTP/2 answers by status', async () => {
    const before = await requestCount(h, '200');
    const echoed = await sendHttp2(h.inbound.ports.h2c, '/echo', { ':method': 'POST', 'content-type': 'application/grpc' }, 'abcde');
    expect(JSON.parse(echoed.body).bodyBytes).toBe(5);
    const teapot = await sendHttp2(h.inbound.ports.h2c, '/?code=418');
    expect(teapot.status).toBe(418);
    expect(await requestCount(h, '200')).toBe(before + 1);
    expect(await requestCount(h, '418')).toBe(1);
    const probe = await sendHttp2(h.inbound.ports.h2c, '/', { ':method': 'POST', 'k-network-probe': 'probe', 'k-network-hash': 'h2' }, 'ignored body');
    expect([probe.status, probe.headers['k-network-hash']]).toEqual([200, 'h2']);
    const head = await sendHttp2(h.inbound.ports.h2c, '/', { ':method': 'HEAD', 'k-network-probe': 'queue' });
    expect([head.status, head.body]).toEqual([200, '']);

    const left = openHttp2(h.inbound.ports.h2c, '/hang');
    await until(() => h.app.inFlight() === 1, 5_000, 'the request in the app');
    left.reset();
    await left.closed;
    await until(() => h.app.inFlight() === 0, 5_000, 'the app request to be cancelled');
    await until(async () => (await requestCount(h, '499')) === 1, 5_000, 'the reset stream to be recorded as 499');
  });

  it('streams an HTTP/2 request body larger than the flow-control windows to the app, with backpressure', async () => {
    // 1 MiB against HTTP/2's default 64 KiB windows: the relay to the app's stream has to wait for window updates.
    const bytes = 1024 * 1024;
    const echoed = await sendHttp2(h.inbound.ports.h2c, '/echo', { ':method': 'POST', 'content-type': 'application/grpc' }, 'x'.repeat(bytes));
    expect([echoed.status, JSON.parse(echoed.body).bodyBytes]).toEqual([200, bytes]);
  });

  it('translates between HTTP/1.1 and HTTP/2 when TRELLIS_APP_PROTOCOL pins the protocol to the app', async () => {
    const [http1, h2c] = await Promise.all([startHarness({ TRELLIS_APP_PROTOCOL: 'http1' }), startHarness({ TRELLIS_APP_PROTOCOL: 'h2c' })]);
    try {
      const down = JSON.parse((await sendHttp2(http1.inbound.ports.h2c, '/echo')).body);
      expect(down.httpVersion).toBe('1.1');
      expect(down.headers.host).toBe(`127.0.0.1:${http1.inbound.ports.h2c}`);
      const posted = JSON.parse((await sendHttp2(http1.inbound.ports.h2c, '/echo', { ':method': 'POST' }, 'abc')).body);
      expect(posted.bodyBytes).toBe(3);
      const up = JSON.parse((await send(h2c.inbound.ports.http, '/echo', { method: 'POST', body: 'abc' })).body);
      expect(up.httpVersion).toBe('2.0');
      expect(up.headers[':authority']).toBe(`127.0.0.1:${h2c.inbound.ports.http}`);
      expect(up.bodyBytes).toBe(3);
    } finally {
      await Promise.all([http1.close(), h2c.close()]);
    }
  });

  it('refuses malformed requests cleanly and keeps serving', async () => {
    const port = h.inbound.ports.http;
    const invalidHeader = await rawExchange(port, 'GET / HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n');
    expect(invalidHeader).toMatch(/^HTTP\/1\.1 400 /);
    expect(invalidHeader).toContain('l5d-proxy-error: bad request');
    const oversized = await rawExchange(port, `GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(oversized).toMatch(/^HTTP\/1\.1 431 /);
    const smuggling = await rawExchange(
      port,
      'POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    );
    expect(smuggling).toMatch(/^HTTP\/1\.1 400 /);
    expect(h.app.seen.filter((s) => s.url === '/echo' && s.headers['transfer-encoding'] !== undefined)).toHaveLength(0);
    const asterisk = await rawExchange(port, 'OPTIONS * HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    expect(asterisk).toMatch(/^HTTP\/1\.1 400 /);
    expect(asterisk).toContain('l5d-proxy-error: bad request');
    const absolute = await rawExchange(port, 'GET http://a/echo?x=1 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    expect(absolute).toContain('"url":"/echo?x=1"');
    expect((await send(port, '/')).status).toBe(200);
  });

  it('serves the Stat protobuf and Knative Prometheus text on the stats port; both metrics ports pass promtool', async () => {
    const port = h.inbound.ports.http;
    await send(port, '/', { headers: { 'k-proxy-request': 'activator' } });
    await send(port, '/');
    const stat = h.inbound.reporter.tick();
    expect(stat.proxiedRequestCount).toBeGreaterThan(0);
    expect(stat.requestCount).toBeGreaterThan(stat.proxiedRequestCount);

    const proto = await scrape(h.inbound.ports.stats, 'application/protobuf');
    expect(proto.contentType).toBe('application/protobuf');
    expect(Stat.decode(proto.bytes)).toEqual(stat);

    const text = await scrape(h.inbound.ports.stats);
    const body = text.bytes.toString();
    for (const name of [
      'queue_requests_per_second',
      'queue_proxied_operations_per_second',
      'queue_average_concurrent_requests',
      'queue_average_proxied_concurrent_requests',
      'process_uptime',
    ]) {
      expect(body).toContain(
        `${name}{destination_namespace="default",destination_configuration="hello",destination_revision="hello-00001",destination_pod="hello-00001-pod"}`,
      );
    }
    const statsCheck = promtool(body);
    expect(statsCheck.output).toBe('');
    expect(statsCheck.status).toBe(0);

    const metrics = (await scrape(h.metrics.port)).bytes.toString();
    expect(metrics).toMatch(/^revision_request_total\{.*response_code="200".*\} \d+$/m);
    expect(metrics).toMatch(/^revision_app_request_duration_seconds_count\{/m);
    expect(metrics).toContain('process_cpu_seconds_total');
    const metricsCheck = promtool(metrics);
    expect(metricsCheck.output).toBe('');
    expect(metricsCheck.status).toBe(0);
  });

  it('while draining: probes answer 503, requests are still served, /wait-for-drain returns after the quiet period', async () => {
    const port = h.inbound.ports.http;
    const drained = send(h.inbound.ports.admin, '/wait-for-drain');
    await until(() => h.inbound.drain.draining, 2_000, 'draining');
    expect((await send(port, '/', { headers: { 'k-network-probe': 'queue' } })).status).toBe(503);
    expect((await send(port, '/', { headers: { 'user-agent': 'kube-probe/1.30' } })).status).toBe(503);
    expect((await send(h.inbound.ports.admin, '/ready')).status).toBe(503);
    expect((await send(port, '/')).status).toBe(200);
    expect((await drained).status).toBe(200);
  });
});

describe('local mode: one proxy per loopback address', () => {
  it('binds every listener to TRELLIS_INBOUND_HOST, so replicas share port numbers on 127.0.0.N', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.2', resolve));
    const shared = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const [a, b] = await Promise.all(
      ['127.0.0.2', '127.0.0.3'].map((host) =>
        startHarness({ TRELLIS_INBOUND_HOST: host, QUEUE_SERVING_PORT: String(shared), SERVING_POD: host }),
      ),
    );
    try {
      expect([a?.inbound.ports.http, b?.inbound.ports.http]).toEqual([shared, shared]);
      for (const [h, host] of [[a, '127.0.0.2'], [b, '127.0.0.3']] as const) {
        expect((await send(h?.inbound.ports.http ?? 0, '/echo', { host })).status).toBe(200);
        expect((await send(h?.inbound.ports.admin ?? 0, '/live', { host })).status).toBe(200);
        expect((await send(h?.inbound.ports.stats ?? 0, '/metrics', { host })).body).toContain(`destination_pod="${host}"`);
        expect(h?.app.seen).toHaveLength(1);
        expect(h?.inbound.listeners.map((l) => (l.address() as AddressInfo).address)).toEqual([host, host]);
        // The same port on 127.0.0.1 is not this replica's: nothing reaches its app. (Another process may hold that
        // port number on 127.0.0.1, so the request itself may be answered or refused.)
        await send(h?.inbound.ports.http ?? 0, '/', { host: '127.0.0.1' }).catch(() => undefined);
        expect(h?.app.seen).toHaveLength(1);
      }
    } finally {
      await Promise.all([a?.close(), b?.close()]);
    }
  });
});

describe('readiness against an app that is down or unready', () => {
  let down: Harness;
  let unready: Harness;
  beforeAll(async () => {
    const port = await closedPort();
    [down, unready] = await Promise.all([
      startHarness({ SERVING_READINESS_PROBE: JSON.stringify({ tcpSocket: { port } }) }, { probeTiming: FAST_PROBES }),
      startHarness({ SERVING_READINESS_PROBE: JSON.stringify({ httpGet: { path: '/status?code=500' } }) }, { probeTiming: FAST_PROBES }),
    ]);
  });
  afterAll(() => Promise.all([down.close(), unready.close()]));

  it('answers 503 to queue probes and /ready', async () => {
    for (const h of [down, unready]) {
      expect((await send(h.inbound.ports.http, '/', { headers: { 'k-network-probe': 'queue' } })).status).toBe(503);
      expect((await send(h.inbound.ports.admin, '/ready')).status).toBe(503);
    }
    const probes = unready.app.seen.filter((s) => s.url === '/status?code=500');
    expect(probes.length).toBeGreaterThan(0);
    expect(probes[0]?.headers['user-agent']).toMatch(/^kube-probe\//);
  });

  it('answers 502 with a reason when the app cannot be reached', async () => {
    const h = await startHarness({ USER_PORT: String(await closedPort()) });
    try {
      const reply = await send(h.inbound.ports.http, '/');
      expect([reply.status, reply.headers['l5d-proxy-error']]).toEqual([502, 'app unavailable']);
    } finally {
      await h.close();
    }
  });
});
