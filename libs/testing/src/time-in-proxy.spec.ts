import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getThrough } from './http-get';
import { timeInProxy, type TimeInProxy } from './time-in-proxy';

/** The backend answers this long after a request, so every request waits on it at least this long. */
const BACKEND_DELAY_MS = 20;
const REQUESTS = 10;

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

function close(server: http.Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}


describe('timeInProxy', () => {
  const backend = http.createServer((_req, res) => setTimeout(() => res.end('ok'), BACKEND_DELAY_MS));
  const upstreamAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const proxy = http.createServer((req, res) => {
    http
      .get({ host: '127.0.0.1', port: backendPort, path: req.url, agent: upstreamAgent }, (answer) => {
        res.writeHead(answer.statusCode ?? 502);
        answer.pipe(res);
      })
      .on('error', () => res.writeHead(502).end());
  });
  let backendPort = 0;
  let proxyPort = 0;
  let timing: TimeInProxy;

  beforeAll(async () => {
    backendPort = await listen(backend);
    proxyPort = await listen(proxy);
    timing = timeInProxy({ listenPort: proxyPort, backendPort });
  });

  afterAll(async () => {
    timing.stop();
    upstreamAgent.destroy();
    await close(proxy);
    await close(backend);
  });

  it('splits the time a request stays in the proxy into the wait on the backend and its own', async () => {
    const client = new http.Agent({ keepAlive: true, maxSockets: 1 });
    for (let i = 0; i < REQUESTS; i++) await getThrough(proxyPort, client);
    client.destroy();
    const summary = timing.summary();
    expect(summary.requests).toBe(REQUESTS);
    expect(summary.upstream?.p50).toBeGreaterThanOrEqual(BACKEND_DELAY_MS * 0.9);
    expect(summary.inProxy?.p50).toBeGreaterThanOrEqual(summary.upstream?.p50 ?? Infinity);
    expect(summary.own?.p50).toBeLessThan(summary.inProxy?.p50 ?? 0);
  });

  it('forgets on reset and times no new connection once stopped', async () => {
    timing.reset();
    expect(timing.summary()).toEqual({ requests: 0, inProxy: undefined, upstream: undefined, own: undefined });
    timing.stop();
    timing.stop();
    const client = new http.Agent({ keepAlive: true, maxSockets: 1 });
    await getThrough(proxyPort, client);
    client.destroy();
    expect(timing.summary().requests).toBe(0);
  });
});
