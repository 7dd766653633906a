import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { waitFor } from '@trellis/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../inbound/testing/test-app';
import { buildProxy, fetchOnce, proxyEnv, spawnProxy, type ProxyProcess } from './testing/proxy-process';

const BALLAST = fileURLToPath(new URL('./testing/heap-ballast.mjs', import.meta.url));
// Building the ballast blocks the event loop for a while on a busy machine: only heap use may trigger here.
const NO_LOOP_DELAY_TRIGGER = { TRELLIS_OVERLOAD_STOP_ACCEPTING_LOOP_DELAY_MS: '0', TRELLIS_OVERLOAD_SHED_LOOP_DELAY_MS: '0' };

/** One metric's value from Prometheus text. */
function metric(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('overload manager (a real proxy whose heap a test pushes past a low threshold)', () => {
  let app: TestApp;
  let proxy: ProxyProcess;

  beforeAll(async () => {
    await buildProxy();
    app = await startTestApp();
    // A 128 MiB old space (about 180 MB of heap limit): the proxy idles near 15 % of it, the 64 MiB ballast takes it
    // past 45 %. Shedding starts at 35 % and ends once heap use stays under 31.5 % for 2 s; connections are never refused.
    proxy = await spawnProxy(
      proxyEnv(app.port, {
        ...NO_LOOP_DELAY_TRIGGER,
        TRELLIS_OVERLOAD_INTERVAL_MS: '50',
        TRELLIS_OVERLOAD_SHED_HEAP: '0.35',
        TRELLIS_OVERLOAD_STOP_ACCEPTING_HEAP: '1',
        TRELLIS_OUTBOUND_ADDR: '127.0.0.1:0',
      }),
      ['--max-old-space-size=128', '--expose-gc', '--import', BALLAST],
    );
  }, 60_000);

  afterAll(async () => {
    await proxy?.kill();
    await app?.close();
  });

  const scrape = async () => (await fetchOnce(proxy.ports.metrics, '/metrics')).body;

  it('sheds new requests with a fast 503 overloaded while heap use is past the threshold, and recovers', async () => {
    expect((await fetchOnce(proxy.ports.http, '/')).status).toBe(200);
    expect(metric(await scrape(), 'overload_action_active{action="shed_requests"}')).toBe(0);

    proxy.child.kill('SIGUSR2');
    const shed = await waitFor(async () => {
      const r = await fetchOnce(proxy.ports.http, '/');
      return r.status === 503 ? r : undefined;
    }, { what: 'a shed request', intervalMs: 50 });
    expect(shed.headers['l5d-proxy-error']).toBe('overloaded');
    expect(shed.body).toBe('overloaded\n');
    // The outbound role sheds too, before it looks at the authority.
    const outbound = await fetchOnce(proxy.outbound ?? 0, '/', { host: 'web.demo.svc.cluster.local' });
    expect({ status: outbound.status, error: outbound.headers['l5d-proxy-error'] }).toEqual({ status: 503, error: 'overloaded' });
    // Probes are still answered while shedding (the kubelet must not restart an overloaded proxy).
    expect((await fetchOnce(proxy.ports.admin, '/live')).status).toBe(200);
    const during = await scrape();
    expect(metric(during, 'overload_action_active{action="shed_requests"}')).toBe(1);
    expect(metric(during, 'overload_action_active{action="stop_accepting_connections"}')).toBe(0);
    expect(metric(during, 'overload_shed_requests_total{direction="inbound"}')).toBeGreaterThanOrEqual(1);
    expect(metric(during, 'overload_shed_requests_total{direction="outbound"}')).toBe(1);
    const appSeen = app.seen.filter((s) => s.url === '/').length;

    proxy.child.kill('SIGUSR2');
    await waitFor(async () => (await fetchOnce(proxy.ports.http, '/')).status === 200, { what: 'recovery', intervalMs: 100 });
    expect(metric(await scrape(), 'overload_action_active{action="shed_requests"}')).toBe(0);
    // Only the requests after the recovery reached the app.
    expect(app.seen.filter((s) => s.url === '/').length).toBe(appSeen + 1);
  }, 60_000);

  it('past the first threshold, closes new connections at once while open ones keep being served, and recovers', async () => {
    const refusing = await spawnProxy(
      proxyEnv(app.port, { ...NO_LOOP_DELAY_TRIGGER, TRELLIS_OVERLOAD_INTERVAL_MS: '50', TRELLIS_OVERLOAD_STOP_ACCEPTING_HEAP: '0.35', TRELLIS_OVERLOAD_SHED_HEAP: '1' }),
      ['--max-old-space-size=128', '--expose-gc', '--import', BALLAST],
    );
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const onKeptConnection = () =>
      new Promise<number>((resolve, reject) => {
        request({ host: '127.0.0.1', port: refusing.ports.http, path: '/', agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        })
          .on('error', reject)
          .end();
      });
    try {
      expect(await onKeptConnection()).toBe(200);
      refusing.child.kill('SIGUSR2');
      const refused = await waitFor(
        () => fetchOnce(refusing.ports.http, '/').then(() => undefined, (err: NodeJS.ErrnoException) => err.code),
        { what: 'a refused connection', intervalMs: 50 },
      );
      expect(['ECONNRESET', 'EPIPE']).toContain(refused);
      expect(await onKeptConnection()).toBe(200);
      expect(metric((await fetchOnce(refusing.ports.metrics, '/metrics')).body, 'overload_refused_connections_total')).toBeGreaterThanOrEqual(1);
      refusing.child.kill('SIGUSR2');
      await waitFor(() => fetchOnce(refusing.ports.http, '/').then((r) => r.status === 200, () => false), { what: 'recovery', intervalMs: 100 });
    } finally {
      agent.destroy();
      await refusing.kill();
    }
  }, 60_000);
});
