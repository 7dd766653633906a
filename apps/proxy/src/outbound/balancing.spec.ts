import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { get, startBackend, startHarness, type Harness, type TestBackend } from './testing/harness';

const WEB = 'web.demo.svc.cluster.local:8080';

describe('outbound balancing', () => {
  let h: Harness | undefined;
  let backends: TestBackend[] = [];
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

  afterEach(async () => {
    await h?.close();
    await Promise.all(backends.map((b) => b.close()));
    backends = [];
    h = undefined;
  });

  it('spreads requests across every endpoint of the service', async () => {
    backends = await Promise.all(['a', 'b', 'c'].map((n) => startBackend(n)));
    h = await startHarness();
    h.destination.setEndpoints(WEB, backends.map((b) => ({ host: b.host, port: b.port })));
    const seen = new Map<string, number>();
    const port = h.port;
    // P2C compares load (RTT x (pending + 1)), so concurrent callers spread over every endpoint.
    const worker = async () => {
      for (let i = 0; i < 40; i++) {
        const r = await get(port, 'web.demo:8080', '/', { agent });
        expect(r.status).toBe(200);
        seen.set(r.body, (seen.get(r.body) ?? 0) + 1);
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    expect([...seen.keys()].sort()).toEqual(['a', 'b', 'c']);
    for (const n of seen.values()) expect(n).toBeGreaterThanOrEqual(8);
    const metrics = await h.registry.metrics();
    expect(metrics).toMatch(/request_total\{direction="outbound",authority="web.demo.svc.cluster.local:8080"/);
    expect(metrics).toMatch(/response_total\{[^}]*status_code="200",classification="success"/);
  });
});
