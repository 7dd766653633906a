import { waitFor } from '@trellis/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClustersView, ProcessView } from '../admin/introspection';
import { startTestApp, type TestApp } from '../inbound/testing/test-app';
import { startLoad } from '../outbound/testing/load';
import { buildProxy, fetchJson, fetchOnce, proxyEnv, spawnProxy, type ProxyProcess } from './testing/proxy-process';

/** The sum of every series of a metric family in Prometheus text (e.g. revision_request_total over its labels). */
function total(text: string, name: string): number {
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

describe('supervisor: workers sharing the listeners, hot restart (real processes)', () => {
  let app: TestApp;
  let proxy: ProxyProcess;

  beforeAll(async () => {
    await buildProxy();
    app = await startTestApp();
    proxy = await spawnProxy(proxyEnv(app.port, { TRELLIS_PROXY_WORKERS: '2', TRELLIS_OUTBOUND_ADDR: '127.0.0.1:0' }));
  }, 60_000);

  afterAll(async () => {
    await proxy?.kill();
    await app?.close();
  });

  const clusters = () => fetchJson<ClustersView>(proxy.ports.admin, '/clusters');
  const metrics = async () => (await fetchOnce(proxy.ports.metrics, '/metrics')).body;
  const serving = async (generation: number) => {
    const view = await fetchJson<{ process: ProcessView }>(proxy.ports.admin, '/config_dump');
    const workers = view.process.workers;
    return workers.length === 2 && workers.every((w) => w.generation === generation && w.state === 'serving') ? workers : undefined;
  };

  it('two workers both serve: new connections are dealt out between them, and the pod reports as one', async () => {
    const before = (await clusters()).workers.map((w) => w.snapshot?.connections.accepted ?? 0);
    const CONNECTIONS = 40;
    for (let i = 0; i < CONNECTIONS; i++) expect((await fetchOnce(proxy.ports.http, '/')).status).toBe(200);
    const view = await clusters();
    expect(view.mode).toBe('supervised');
    expect(new Set(view.workers.map((w) => w.pid)).size).toBe(2);
    const accepted = view.workers.map((w, i) => (w.snapshot?.connections.accepted ?? 0) - (before[i] ?? 0));
    expect(accepted.reduce((a, b) => a + b, 0)).toBe(CONNECTIONS);
    // node:cluster's round robin: each worker takes a fair share (at least a quarter of them).
    for (const n of accepted) expect(n).toBeGreaterThanOrEqual(CONNECTIONS / 4);
    // One pod to the autoscaler and to Prometheus: the supervisor sums the workers' figures.
    expect(total(await metrics(), 'revision_request_total')).toBeGreaterThanOrEqual(CONNECTIONS);
    await waitFor(async () => total((await fetchOnce(proxy.ports.stats, '/metrics')).body, 'queue_requests_per_second') > 0, { what: 'the summed Stat' });
    expect((await fetchOnce(proxy.ports.admin, '/ready')).status).toBe(200);
  }, 60_000);

  it('a hot restart under steady load loses no request, and the counters carry on', async () => {
    const first = await serving(1);
    const counted = total(await metrics(), 'revision_request_total');
    const load = startLoad({ port: proxy.ports.http, host: 'localhost', workers: 4, maxRequests: 50_000, maxMs: 60_000 });
    await waitFor(() => load.sent() > 200, { what: 'load before the restart' });
    const restarted = await fetchOnce(proxy.ports.admin, '/hot-restart', { method: 'POST' });
    expect({ status: restarted.status, body: JSON.parse(restarted.body) }).toEqual({ status: 200, body: { generation: 2 } });
    const second = await waitFor(() => serving(2), { what: 'the first generation to retire', timeoutMs: 30_000 });
    const atRetirement = load.sent();
    await waitFor(() => load.sent() > atRetirement + 200, { what: 'load after the restart' });
    await load.stop();
    expect(Object.fromEntries(load.results)).toEqual({ '200': load.sent() });
    expect(second.map((w) => w.pid).filter((pid) => first?.some((w) => w.pid === pid))).toEqual([]);
    const text = await metrics();
    // The retired workers' requests are still counted: nothing went backwards.
    expect(total(text, 'revision_request_total')).toBeGreaterThanOrEqual(counted + load.sent());
    expect(text).toContain('proxy_hot_restarts_total{outcome="success"} 1');
    expect(text).toContain('proxy_hot_restart_generation 2');
  }, 90_000);

  it('SIGHUP restarts too; a worker that dies is replaced in its generation', async () => {
    proxy.child.kill('SIGHUP');
    const third = await waitFor(() => serving(3), { what: 'generation 3', timeoutMs: 30_000 });
    process.kill(third[0]?.pid ?? 0, 'SIGKILL');
    const replaced = await waitFor(async () => {
      const workers = await serving(3);
      return workers?.every((w) => w.pid !== third[0]?.pid) ? workers : undefined;
    }, { what: 'a replacement worker', timeoutMs: 30_000 });
    expect(replaced.map((w) => w.pid)).toContain(third[1]?.pid);
    expect(await metrics()).toContain('proxy_worker_restarts_total 1');
    expect((await fetchOnce(proxy.ports.http, '/')).status).toBe(200);
  }, 90_000);

  it('SIGTERM drains every worker, then the supervisor exits 0', async () => {
    proxy.child.kill('SIGTERM');
    expect(await proxy.exited).toBe(0);
    expect(proxy.output()).toContain('workers drained; exiting');
  }, 60_000);
});
