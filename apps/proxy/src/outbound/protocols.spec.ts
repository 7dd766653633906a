import { credentials, type Client, type ClientReadableStream, type Metadata, type ServiceError } from '@grpc/grpc-js';
import net from 'node:net';
import { ProxyAgent, request } from 'undici';
import { waitFor } from '@trellis/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EchoClient, startGrpcEcho } from './testing/grpc-echo';
import { get, startBackend, startHarness, type Harness, type TestBackend } from './testing/harness';

const WEB = 'web.demo.svc.cluster.local:8080';
const ECHO = 'echo.demo.svc.cluster.local:50051';

type Unary = (req: Buffer, cb: (err: ServiceError | null, res?: Buffer) => void) => { on(e: 'status', f: (s: { metadata: Metadata }) => void): void };

/** Sends raw bytes and resolves with the first response head (and whatever followed) once the server closes or answers. */
function raw(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(text));
    let data = '';
    socket.on('data', (c) => {
      data += c.toString('latin1');
      if (data.includes('\r\n\r\n')) socket.destroy();
    });
    socket.on('close', () => resolve(data));
    socket.on('error', reject);
  });
}

describe('outbound protocols', () => {
  let h: Harness;
  let web: TestBackend;
  let echo: Awaited<ReturnType<typeof startGrpcEcho>>;
  let client: Client;
  let upstreamClosed = false;
  let hangSeen = false;

  beforeAll(async () => {
    web = await startBackend('web', (req, res) => {
      if (req.url === '/hang') {
        hangSeen = true;
        res.on('close', () => (upstreamClosed = true));
        return;
      }
      req.resume();
      req.on('end', () => res.end(JSON.stringify({ url: req.url, headers: req.headers })));
    });
    echo = await startGrpcEcho();
    h = await startHarness();
    h.destination.setEndpoints(WEB, [{ host: web.host, port: web.port }]);
    h.destination.setEndpoints(ECHO, [{ host: '127.0.0.1', port: echo.port }]);
    h.destination.setProfile(ECHO, {
      routes: [
        {
          condition: { match: { $case: 'path', value: { regex: '/trellis\\.test\\.Echo/Flaky' } } },
          responseClasses: [],
          metricsLabels: { route: 'flaky' },
          isRetryable: true,
        },
      ],
    });
    client = new EchoClient(`127.0.0.1:${h.port}`, credentials.createInsecure(), { 'grpc.default_authority': 'echo.demo:50051' });
  });

  afterAll(async () => {
    client?.close();
    await h?.close();
    await web?.close();
    echo?.close();
  });

  it('proxies gRPC unary calls over HTTP/2 with trailers kept', async () => {
    const unary = (client as unknown as { unary: Unary }).unary.bind(client);
    const trailers = new Promise<Metadata>((resolve) => {
      const call = unary(Buffer.from('ping'), () => undefined);
      call.on('status', (s) => resolve(s.metadata));
    });
    const res = await new Promise<Buffer>((resolve, reject) => unary(Buffer.from('hello'), (err, r) => (err ? reject(err) : resolve(r as Buffer))));
    expect(res.toString()).toBe('hello');
    expect((await trailers).get('x-echo-trailer')).toEqual(['kept']);
  });

  it('streams a 1 MiB gRPC request and response over HTTP/2, past the flow-control windows', async () => {
    const unary = (client as unknown as { unary: Unary }).unary.bind(client);
    const message = Buffer.alloc(1024 * 1024, 'x');
    const res = await new Promise<Buffer>((resolve, reject) => unary(message, (err, r) => (err ? reject(err) : resolve(r as Buffer))));
    expect(res.equals(message)).toBe(true);
  });

  it('proxies gRPC server streaming', async () => {
    const call = (client as unknown as { stream(req: Buffer): ClientReadableStream<Buffer> }).stream(Buffer.from([5]));
    const got: number[] = [];
    await new Promise<void>((resolve, reject) => {
      call.on('data', (b: Buffer) => got.push(b.readUInt8(0)));
      call.on('end', resolve);
      call.on('error', reject);
    });
    expect(got).toEqual([0, 1, 2, 3, 4]);
  });

  it('passes gRPC errors through and counts them as failures', async () => {
    const fail = (client as unknown as { fail: Unary }).fail.bind(client);
    const err = await new Promise<ServiceError>((resolve) => fail(Buffer.from('x'), (e) => resolve(e as ServiceError)));
    expect(err.code).toBe(9);
    expect(err.details).toBe('nope');
    expect(await h.registry.metrics()).toMatch(/response_total\{[^}]*authority="echo.demo.svc.cluster.local:50051"[^}]*status_code="200",classification="failure",grpc_status="9"\} 1/);
  });

  it('retries a gRPC call that failed trailers-only on a retryable route', async () => {
    const flaky = (client as unknown as { flaky: Unary }).flaky.bind(client);
    const before = echo.flakyCalls();
    const res = await new Promise<Buffer>((resolve, reject) => flaky(Buffer.from('again'), (err, r) => (err ? reject(err) : resolve(r as Buffer))));
    expect(res.toString()).toBe('again');
    expect(echo.flakyCalls() - before).toBe(2);
  });

  it('accepts absolute-form requests from undici ProxyAgent', async () => {
    const dispatcher = new ProxyAgent({ uri: h.url, proxyTunnel: false });
    const res = await request('http://web.demo:8080/abs?q=1', { dispatcher });
    const body = (await res.body.json()) as { url: string; headers: Record<string, string> };
    expect(res.statusCode).toBe(200);
    expect(body.url).toBe('/abs?q=1');
    expect(body.headers.host).toBe('web.demo:8080');
    expect(body.headers['proxy-connection']).toBeUndefined();
    await dispatcher.close();
  });

  it('tunnels CONNECT to a plain HTTP port (undici ProxyAgent default)', async () => {
    const dispatcher = new ProxyAgent(h.url);
    const res = await request('http://web.demo:8080/tunnel', { dispatcher });
    expect(res.statusCode).toBe(200);
    expect(((await res.body.json()) as { url: string }).url).toBe('/tunnel');
    await dispatcher.close();
  });

  it('refuses CONNECT to a TLS port with 405', async () => {
    const head = await raw(h.port, 'CONNECT web.demo:443 HTTP/1.1\r\nhost: web.demo:443\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1.1 405 /);
    expect(head).toMatch(/l5d-proxy-error: /);
  });

  it('drops hop-by-hop headers and the fields Connection names', async () => {
    const r = await get(h.port, 'web.demo:8080', '/hop', {
      headers: { connection: 'keep-alive, x-secret', 'x-secret': '1', 'keep-alive': 'timeout=5', te: 'gzip', 'proxy-authorization': 'Basic eA==', 'x-kept': 'yes' },
    });
    const headers = (JSON.parse(r.body) as { headers: Record<string, string> }).headers;
    expect(headers['x-kept']).toBe('yes');
    for (const name of ['x-secret', 'keep-alive', 'te', 'proxy-authorization']) expect(headers[name]).toBeUndefined();
  });

  it('cancels the upstream request when the client goes away', async () => {
    const socket = net.connect(h.port, '127.0.0.1', () => socket.write('GET /hang HTTP/1.1\r\nhost: web.demo:8080\r\n\r\n'));
    socket.on('error', () => undefined);
    await waitFor(() => hangSeen, { what: 'the request to reach the backend' });
    socket.destroy();
    await waitFor(() => upstreamClosed, { what: 'the upstream request to be cancelled' });
    expect((await get(h.port, 'web.demo:8080')).status).toBe(200);
  });

  it.each([
    ['an invalid header name', 'GET / HTTP/1.1\r\nhost: web.demo:8080\r\nbad header: x\r\n\r\n', 400],
    ['an oversized header block', `GET / HTTP/1.1\r\nhost: web.demo:8080\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`, 431],
    ['a malformed Content-Length', 'POST / HTTP/1.1\r\nhost: web.demo:8080\r\ncontent-length: 1x\r\n\r\n', 400],
    ['Content-Length with Transfer-Encoding', 'POST / HTTP/1.1\r\nhost: web.demo:8080\r\ncontent-length: 3\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n', 400],
    ['no Host header', 'GET / HTTP/1.1\r\n\r\n', 400],
    ['an https absolute-form target', 'GET https://web.demo:8080/ HTTP/1.1\r\nhost: web.demo:8080\r\n\r\n', 400],
    ['a request to the proxy itself', 'GET / HTTP/1.1\r\nhost: 127.0.0.1:PORT\r\n\r\n', 400],
  ])('refuses %s cleanly', async (_name, text, status) => {
    const head = await raw(h.port, text.replace('PORT', String(h.port)));
    expect(head.slice(0, 12)).toBe(`HTTP/1.1 ${status}`);
    // The proxy is still serving.
    expect((await get(h.port, 'web.demo:8080')).status).toBe(200);
  });
});
