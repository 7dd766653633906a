import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitFor } from '@trellis/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { acceptedBy, createPoke, MAX_POKE_ANSWER_BYTES } from './autoscaler-poke';
import { get, startBackend, startHarness, type Harness, type TestBackend } from './testing/harness';

const WEB = 'web.demo.svc.cluster.local:8080';
// Short fail-fast so that "still held after fail-fast would have fired" is quick to observe.
const FAILFAST_MS = 300;

interface PokeServer {
  addr: string;
  pokes: unknown[];
  close(): Promise<void>;
}

async function startPokeServer(status: number, answer = ''): Promise<PokeServer> {
  const pokes: unknown[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/poke') pokes.push(JSON.parse(body));
      res.statusCode = status;
      res.end(answer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    addr: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    pokes,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

describe('scale from zero', () => {
  let h: Harness | undefined;
  let poke: PokeServer | undefined;
  let backend: TestBackend | undefined;

  afterEach(async () => {
    await h?.close();
    await poke?.close();
    await backend?.close();
    h = undefined;
    poke = undefined;
    backend = undefined;
  });

  async function setup(pokeStatus: number, answer = '') {
    poke = await startPokeServer(pokeStatus, answer);
    h = await startHarness({ TRELLIS_AUTOSCALER_ADDR: poke.addr, TRELLIS_OUTBOUND_FAILFAST_MS: String(FAILFAST_MS), SERVING_POD: 'client-pod-1' });
    h.destination.setEndpoints(WEB, []);
    return { h, poke };
  }

  it('holds requests while the autoscaler scales the service up, re-poking, then sends them', async () => {
    const { h, poke } = await setup(200);
    let settled = false;
    const pending = get(h.port, 'web.demo:8080').finally(() => (settled = true));
    // The autoscaler is poked at once, then again while the request waits.
    await waitFor(() => poke.pokes.length >= 2, { timeoutMs: 8_000 });
    expect(settled).toBe(false);
    expect(poke.pokes[0]).toEqual({
      messages: [{ namespace: 'demo', name: 'web', stat: { podName: 'client-pod-1', averageConcurrentRequests: 1, requestCount: 1 } }],
    });
    backend = await startBackend('woken');
    h.destination.setEndpoints(WEB, [{ host: backend.host, port: backend.port }]);
    expect(await pending).toMatchObject({ status: 200, body: 'woken' });
  });

  it.each([
    ['answers 404', 404, ''],
    ['reports an unknown target', 200, JSON.stringify({ results: [{ namespace: 'demo', name: 'web', status: 'unknown-target' }] })],
  ])('fails fast as usual when the autoscaler %s', async (_name, status, answer) => {
    const { h, poke } = await setup(status, answer);
    const r = await get(h.port, 'web.demo:8080');
    expect(r.status).toBe(503);
    expect(r.headers['l5d-proxy-error']).toBe('service in fail-fast');
    expect(poke.pokes.length).toBeGreaterThanOrEqual(1);
  });
});

describe('acceptedBy', () => {
  it.each([
    ['', true],
    ['not json', true],
    ['{"results":[{"status":"decided","desiredReplicas":1}]}', true],
    ['{"results":[{"status":"recorded"}]}', true],
    ['{"results":[{"status":"unknown-target"}]}', false],
    ['{"results":[]}', false],
  ])('%s -> %s', (body, expected) => {
    expect(acceptedBy(body)).toBe(expected);
  });
});

describe('createPoke', () => {
  const TARGET = { namespace: 'demo', service: 'web' };
  let server: http.Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
    server = undefined;
  });

  async function listen(handler: http.RequestListener): Promise<string> {
    server = http.createServer(handler);
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    return `127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it('counts an autoscaler that does not answer in time as a refusal', async () => {
    const addr = await listen(() => undefined);
    expect(await createPoke(addr, 'pod')(TARGET, 1)).toBe(false);
  });

  it('stops reading an oversized answer and counts it as a refusal', async () => {
    const addr = await listen((_req, res) => res.end('x'.repeat(MAX_POKE_ANSWER_BYTES * 2)));
    expect(await createPoke(addr, 'pod')(TARGET, 1)).toBe(false);
  });

  it('accepts a 2xx answer and refuses an unreachable autoscaler', async () => {
    const addr = await listen((_req, res) => res.end(JSON.stringify({ results: [{ status: 'decided' }] })));
    expect(await createPoke(addr, 'pod')(TARGET, 1)).toBe(true);
    server?.closeAllConnections();
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    server = undefined;
    expect(await createPoke(addr, 'pod')(TARGET, 1)).toBe(false);
  });
});
