import { HttpMethod_Registered, type DestinationProfile, type Route } from '@trellis/proto';
import { afterEach, describe, expect, it } from 'vitest';
import { get, metric, startBackend, startHarness, type Harness, type TestBackend } from './testing/harness';

const WEB = 'web.demo.svc.cluster.local:8080';

function route(name: string, regex: string, extra: Partial<Route> = {}): Route {
  return {
    condition: { match: { $case: 'path', value: { regex } } },
    responseClasses: [],
    metricsLabels: { route: name },
    isRetryable: false,
    ...extra,
  };
}

describe('outbound routes, retries and splits', () => {
  let h: Harness | undefined;
  let backends: TestBackend[] = [];

  afterEach(async () => {
    await h?.close();
    await Promise.all(backends.map((b) => b.close()));
    backends = [];
    h = undefined;
  });

  async function serve(profile: Partial<DestinationProfile>, handler: Parameters<typeof startBackend>[1]) {
    const b = await startBackend('web', handler);
    backends.push(b);
    h = await startHarness();
    h.destination.setEndpoints(WEB, [{ host: b.host, port: b.port }]);
    h.destination.setProfile(WEB, profile);
    return { b, h };
  }

  it('answers 504 when a route times out', async () => {
    const timers: NodeJS.Timeout[] = [];
    const { h } = await serve({ routes: [route('slow', '/slow', { timeout: { seconds: '0', nanos: 200_000_000 } })] }, (_req, res) => {
      timers.push(setTimeout(() => res.end('late'), 5_000));
    });
    const r = await get(h.port, 'web.demo:8080', '/slow');
    timers.forEach(clearTimeout);
    expect(r.status).toBe(504);
    expect(r.headers['l5d-proxy-error']).toBe('request timed out');
    const m = await h.registry.metrics();
    expect(metric(m, 'route_response_total', 'rt_route="slow",status_code="504",classification="failure"')).toBe(1);
  });

  it('retries a failed request on a retryable route and replays its body', async () => {
    const bodies: string[] = [];
    const { b, h } = await serve({ routes: [route('flaky', '/flaky', { isRetryable: true })] }, (req, res, backend) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        bodies.push(body);
        res.statusCode = backend.served % 2 === 1 ? 500 : 200;
        res.end(body);
      });
    });
    const r = await get(h.port, 'web.demo:8080', '/flaky', { method: 'POST', body: 'hello' });
    expect(r).toMatchObject({ status: 200, body: 'hello' });
    expect(b.served).toBe(2);
    expect(bodies).toEqual(['hello', 'hello']);
    const m = await h.registry.metrics();
    expect(metric(m, 'route_retryable_total', 'rt_route="flaky",skipped=""')).toBe(1);
    expect(metric(m, 'route_actual_request_total', 'rt_route="flaky"')).toBe(2);
    expect(metric(m, 'route_request_total', 'rt_route="flaky"')).toBe(1);
    expect(metric(m, 'route_response_total', 'rt_route="flaky",status_code="200",classification="success"')).toBe(1);
  });

  it('does not retry once the retry budget is spent', async () => {
    const { b, h } = await serve(
      {
        routes: [route('broken', '/broken', { isRetryable: true })],
        retryBudget: { retryRatio: 0, minRetriesPerSecond: 0, ttl: { seconds: '10', nanos: 0 } },
      },
      (_req, res) => {
        res.statusCode = 503;
        res.end('down');
      },
    );
    for (let i = 0; i < 3; i++) expect((await get(h.port, 'web.demo:8080', '/broken')).status).toBe(503);
    expect(b.served).toBe(3);
    const m = await h.registry.metrics();
    expect(metric(m, 'route_retryable_total', 'rt_route="broken",skipped="no_budget"')).toBe(3);
  });

  it('does not retry a route that is not retryable, and classifies by response classes', async () => {
    const { b, h } = await serve(
      {
        routes: [
          route('teapot', '/tea', {
            responseClasses: [{ condition: { match: { $case: 'status', value: { min: 418, max: 418 } } }, isFailure: true }],
          }),
        ],
      },
      (_req, res) => {
        res.statusCode = 418;
        res.end();
      },
    );
    expect((await get(h.port, 'web.demo:8080', '/tea')).status).toBe(418);
    expect(b.served).toBe(1);
    const m = await h.registry.metrics();
    expect(metric(m, 'route_response_total', 'rt_route="teapot",status_code="418",classification="failure"')).toBe(1);
  });

  it('splits traffic across dst_overrides by weight, each backend resolved on its own', async () => {
    const v1 = await startBackend('v1');
    const v2 = await startBackend('v2');
    backends.push(v1, v2);
    h = await startHarness();
    h.destination.setEndpoints(WEB, []);
    h.destination.setEndpoints('web-v1.demo.svc.cluster.local:8080', [{ host: v1.host, port: v1.port }]);
    h.destination.setEndpoints('web-v2.demo.svc.cluster.local:8080', [{ host: v2.host, port: v2.port }]);
    h.destination.setProfile(WEB, {
      dstOverrides: [
        { authority: 'web-v1.demo.svc.cluster.local:8080', weight: 8_000 },
        { authority: 'web-v2.demo.svc.cluster.local:8080', weight: 2_000 },
      ],
      routes: [route('get', '.*', { condition: { match: { $case: 'method', value: { type: { $case: 'registered', value: HttpMethod_Registered.GET } } } } })],
    });
    const n = 400;
    for (let i = 0; i < n; i++) expect((await get(h.port, 'web.demo:8080')).status).toBe(200);
    // Binomial(400, 0.2): sd = 8; +-4 sd.
    expect(v2.served).toBeGreaterThanOrEqual(48);
    expect(v2.served).toBeLessThanOrEqual(112);
    expect(v1.served + v2.served).toBe(n);
  });
});
