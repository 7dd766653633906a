import net from 'node:net';
import type { BackendPolicy } from '@trellis/proto';
import { waitFor } from '@trellis/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { get, metric, startBackend, startHarness, type Harness, type TestBackend } from './testing/harness';

const WEB = 'web.demo.svc.cluster.local:8080';

function policy(p: Partial<BackendPolicy>): { backendPolicy: BackendPolicy } {
  return { backendPolicy: { balancer: '', ...p } };
}

/** A loopback port with nothing listening: connections to it are refused. */
async function closedPort(): Promise<number> {
  const probe = net.createServer();
  const port = await new Promise<number>((resolve) => probe.listen(0, '127.0.0.1', () => resolve((probe.address() as net.AddressInfo).port)));
  await new Promise((r) => probe.close(r));
  return port;
}

describe('outbound resilience through real sockets', () => {
  let h: Harness | undefined;
  let backends: TestBackend[] = [];

  afterEach(async () => {
    await h?.close();
    await Promise.all(backends.map((b) => b.close()));
    backends = [];
    h = undefined;
  });

  async function serve(names: string[], handler?: Parameters<typeof startBackend>[1]): Promise<Harness> {
    backends = await Promise.all(names.map((n) => startBackend(n, handler)));
    h = await startHarness();
    h.destination.setEndpoints(
      WEB,
      backends.map((b) => ({ host: b.host, port: b.port })),
    );
    return h;
  }

  it('sends a request refused by one endpoint to another, and keeps that endpoint out for a while', async () => {
    const harness = await serve(['a', 'b']);
    const refusing = { host: '127.0.0.1', port: await closedPort() };
    harness.destination.setEndpoints(WEB, [...backends.map((b) => ({ host: b.host, port: b.port })), refusing]);
    const statuses = new Map<number, number>();
    for (let i = 0; i < 60; i++) {
      const r = await get(harness.port, 'web.demo:8080', '/', { method: 'POST', body: `request ${i}` });
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    }
    expect(statuses).toEqual(new Map([[200, 60]]));
    expect(backends.reduce((n, b) => n + b.served, 0)).toBe(60);
  });

  it('ejects an endpoint that answers 5xx in a row, and takes it back when its ejection ends', async () => {
    let broken = true;
    const harness = await serve(['good', 'bad'], (req, res, backend) => {
      req.resume();
      if (backend.name === 'bad' && broken) res.statusCode = 500;
      res.end(backend.name);
    });
    // Round robin, so that the endpoint gets traffic again as soon as it is back (P2C would favour the fast one).
    harness.destination.setProfile(
      WEB,
      policy({
        balancer: 'round-robin',
        outlierDetection: {
          consecutive5xx: 3,
          consecutiveGatewayErrors: 0,
          interval: { seconds: '10', nanos: 0 },
          baseEjectionTime: { seconds: '0', nanos: 500_000_000 },
          maxEjectionTime: { seconds: '10', nanos: 0 },
          maxEjectionPercent: 50,
        },
      }),
    );
    // The policy arrives on the profile stream; requests go on until the bad endpoint is ejected.
    await waitFor(
      async () => {
        await get(harness.port, 'web.demo:8080');
        return metric(await harness.registry.metrics(), 'outbound_http_outlier_ejections_total', 'reason="consecutive_5xx"') === 1;
      },
      { timeoutMs: 10_000, intervalMs: 1 },
    );
    const bad = backends[1] as TestBackend;
    const servedByBad = bad.served;
    const ejected = await Promise.all(Array.from({ length: 20 }, () => get(harness.port, 'web.demo:8080')));
    expect(ejected.map((r) => r.body)).toEqual(Array(20).fill('good'));
    expect(bad.served).toBe(servedByBad);

    broken = false;
    await waitFor(async () => (await get(harness.port, 'web.demo:8080')).body === 'bad', { timeoutMs: 5_000 });
  });

  it('answers 503 at once past the circuit breaker limit of requests in flight', async () => {
    const waiting: (() => void)[] = [];
    const harness = await serve(['slow'], (req, res, backend) => {
      req.resume();
      waiting.push(() => res.end(backend.name));
    });
    harness.destination.setProfile(WEB, policy({ circuitBreakers: { maxConnections: 100, maxPendingRequests: 100, maxRequests: 2, maxRetries: 1 } }));
    await waitFor(async () => {
      const first = get(harness.port, 'web.demo:8080');
      const second = get(harness.port, 'web.demo:8080');
      await waitFor(() => waiting.length >= 2);
      const third = await get(harness.port, 'web.demo:8080');
      for (const release of waiting.splice(0)) release();
      await Promise.all([first, second]);
      return third.status === 503 && third.headers['l5d-proxy-error'] === 'circuit breaker open';
    }, { timeoutMs: 10_000 });
    const m = await harness.registry.metrics();
    expect(metric(m, 'outbound_http_breaker_overflow_total', 'resource="requests"')).toBeGreaterThanOrEqual(1);
    const after = get(harness.port, 'web.demo:8080');
    await waitFor(() => waiting.length === 1);
    for (const release of waiting.splice(0)) release();
    expect((await after).status).toBe(200);
  });

  describe.each(['ring-hash', 'maglev'])('%s keyed on a header', (balancer) => {
    const KEYS = Array.from({ length: 40 }, (_, i) => `user-${i}`);

    async function owners(harness: Harness): Promise<Map<string, string>> {
      const seen = new Map<string, string>();
      for (const key of KEYS) {
        const r = await get(harness.port, 'web.demo:8080', '/', { headers: { 'x-user': key } });
        expect(r.status).toBe(200);
        seen.set(key, r.body);
      }
      return seen;
    }

    it('sends one key to one endpoint, and moves only the keys of a removed endpoint', async () => {
      const harness = await serve(['a', 'b', 'c', 'd']);
      harness.destination.setProfile(WEB, policy({ balancer, hashKey: { source: { $case: 'header', value: 'x-user' } } }));
      // Until the policy arrives the balancer is P2C; then the same key keeps its endpoint.
      await waitFor(async () => JSON.stringify([...(await owners(harness))]) === JSON.stringify([...(await owners(harness))]), { timeoutMs: 10_000 });
      const before = await owners(harness);
      expect(new Set(before.values()).size).toBeGreaterThan(1);

      const removed = backends[3] as TestBackend;
      harness.destination.setEndpoints(
        WEB,
        backends.slice(0, 3).map((b) => ({ host: b.host, port: b.port })),
      );
      await waitFor(async () => [...(await owners(harness)).values()].every((o) => o !== removed.name));
      const after = await owners(harness);
      const stayed = KEYS.filter((k) => before.get(k) !== removed.name);
      const moved = stayed.filter((k) => after.get(k) !== before.get(k));
      // Ring hash moves none of the other keys; Maglev may move a few (its table is rebuilt).
      expect(moved.length).toBeLessThanOrEqual(balancer === 'ring-hash' ? 0 : Math.ceil(stayed.length * 0.1));
      expect((await get(harness.port, 'web.demo:8080')).status).toBe(200);
    });
  });
});
