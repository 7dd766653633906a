import { waitFor } from '@trellis/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { get, startBackend, startHarness, type Harness, type TestBackend } from './testing/harness';
import { startLoad, type Load } from './testing/load';

const WEB = 'web.demo.svc.cluster.local:8080';
const LOAD = { host: 'web.demo:8080', workers: 4, maxRequests: 20_000, maxMs: 20_000 };

function ok(load: Load): void {
  expect(Object.fromEntries(load.results)).toEqual({ '200': load.sent() });
}

describe('outbound under endpoint and control-plane changes', () => {
  let h: Harness | undefined;
  let backends: TestBackend[] = [];
  let load: Load | undefined;

  afterEach(async () => {
    await load?.stop();
    await h?.close();
    await Promise.all(backends.map((b) => b.close()));
    backends = [];
    h = undefined;
    load = undefined;
  });

  it('adds and removes endpoints under continuous load without a failed request', async () => {
    backends = await Promise.all(['a', 'b', 'c'].map((n) => startBackend(n)));
    const [a, b, c] = backends as [TestBackend, TestBackend, TestBackend];
    h = await startHarness();
    const at = (...bs: TestBackend[]) => bs.map((x) => ({ host: x.host, port: x.port }));
    h.destination.setEndpoints(WEB, at(a, b));
    load = startLoad({ port: h.port, ...LOAD });
    await waitFor(() => a.served > 20 && b.served > 20);

    h.destination.setEndpoints(WEB, at(a, b, c));
    await waitFor(() => c.served > 20);

    h.destination.setEndpoints(WEB, at(b, c));
    const servedByA = a.served;
    await waitFor(() => b.served > 100 && c.served > 100);
    // Removed from discovery, a drains; only then does it go away.
    await a.close();
    const sentBefore = load.sent();
    await waitFor(() => load!.sent() > sentBefore + 100);
    await load.stop();
    ok(load);
    expect(a.served - servedByA).toBeLessThanOrEqual(LOAD.workers);
  });

  it('keeps serving while the destination service is down and resumes updates after it returns', async () => {
    backends = await Promise.all(['a', 'b', 'd'].map((n) => startBackend(n)));
    const [a, b, d] = backends as [TestBackend, TestBackend, TestBackend];
    h = await startHarness();
    const harness = h;
    h.destination.setEndpoints(WEB, [a, b].map((x) => ({ host: x.host, port: x.port })));
    load = startLoad({ port: h.port, ...LOAD });
    await waitFor(() => a.served > 20 && b.served > 20);

    await h.destination.kill();
    const downAt = a.served + b.served;
    await waitFor(async () => /outbound_discovery_reconnects\{kind="resolve"\} [1-9]/.test(await harness.registry.metrics()), { intervalMs: 50 });
    await waitFor(() => a.served + b.served > downAt + 200);

    await h.destination.restart();
    h.destination.setEndpoints(WEB, [a, b, d].map((x) => ({ host: x.host, port: x.port })));
    await waitFor(() => d.served > 20, { timeoutMs: 15_000 });
    await load.stop();
    ok(load);
  });

  it('fails fast with 503 after 3 s without an endpoint, then recovers when one appears', async () => {
    backends = [await startBackend('a')];
    h = await startHarness();
    h.destination.setEndpoints(WEB, []);
    const first = await get(h.port, 'web.demo:8080');
    expect(first.status).toBe(503);
    expect(first.headers['l5d-proxy-error']).toBe('service in fail-fast');
    const again = await get(h.port, 'web.demo:8080');
    expect(again.headers['l5d-proxy-error']).toBe('service in fail-fast');

    const a = backends[0] as TestBackend;
    h.destination.setEndpoints(WEB, [{ host: a.host, port: a.port }]);
    const port = h.port;
    await waitFor(async () => (await get(port, 'web.demo:8080')).status === 200);
  });

  it('sends a request that waits for an endpoint as soon as one appears', async () => {
    backends = [await startBackend('a')];
    const a = backends[0] as TestBackend;
    h = await startHarness();
    h.destination.setEndpoints(WEB, []);
    const pending = get(h.port, 'web.demo:8080');
    const harness = h;
    await waitFor(async () => /outbound_http_balancer_pending_requests\{backend="web.demo.svc.cluster.local:8080"\} 1/.test(await harness.registry.metrics()), { intervalMs: 50 });
    h.destination.setEndpoints(WEB, [{ host: a.host, port: a.port }]);
    expect(await pending).toMatchObject({ status: 200, body: 'a' });
  });

  it('forwards names the destination does not know directly to the authority', async () => {
    backends = [await startBackend('outside')];
    const b = backends[0] as TestBackend;
    h = await startHarness();
    // An IP literal never reaches the destination service.
    expect(await get(h.port, `127.0.0.1:${b.port}`)).toMatchObject({ status: 200, body: 'outside' });
    // A completed name the destination answers with exists:false goes to the name itself (DNS); when DNS does
    // not know it either, the answer says so.
    const r = await get(h.port, `ghost.demo:${b.port}`);
    expect(r.status).toBe(503);
    expect(r.headers['l5d-proxy-error']).toBe('unknown service');
  });
});
