import net from 'node:net';
import { startFakeDestination, type FakeDestination } from '@trellis/discovery/testing';
import { waitFor } from '@trellis/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClustersView, ProcessView } from '../admin/introspection';
import { startTestApp, type TestApp } from '../inbound/testing/test-app';
import { get, startBackend, type TestBackend } from '../outbound/testing/harness';
import { startLoad } from '../outbound/testing/load';
import { buildProxy, fetchJson, fetchOnce, proxyEnv, spawnProxy, type ProxyProcess } from './testing/proxy-process';
import { COUNTERS_INTERVAL_MS } from './worker';

/** The sum of every series of a metric family in Prometheus text (e.g. revision_request_total over its labels). */
function total(text: string, name: string): number {
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

/** Totals that must never go back: the inbound request counter and its histogram's count. */
const COUNTERS = ['revision_request_total', 'revision_request_duration_seconds_count'] as const;

/** The generation's workers once exactly `count` of them serve and none other is left (retired ones exited). */
/** A raw HTTP/1.1 client connection, to control when each byte of a request goes out. */
interface RawConnection {
  send(text: string): void;
  /** The next whole response (content-length or chunked framing). */
  response(): Promise<{ status: number; head: string }>;
  /** Resolves once the server has ended the connection; `reset` when it was cut instead. */
  ended(): Promise<'end' | 'reset'>;
}

function rawConnection(port: number): Promise<RawConnection> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let buffered = '';
    let wake: () => void = () => undefined;
    let outcome: 'end' | 'reset' | undefined;
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      wake();
    });
    socket.on('end', () => {
      outcome ??= 'end';
      wake();
    });
    socket.on('error', () => {
      outcome = 'reset';
      wake();
    });
    socket.on('close', () => wake());
    const next = () => new Promise<void>((r) => (wake = r));
    const complete = (): { status: number; head: string; length: number } | undefined => {
      const headEnd = buffered.indexOf('\r\n\r\n');
      if (headEnd < 0) return undefined;
      const head = buffered.slice(0, headEnd);
      const status = Number(head.split(' ')[1]);
      const length = /\r\ncontent-length: *(\d+)/i.exec(head)?.[1];
      const bodyStart = headEnd + 4;
      if (length !== undefined) return buffered.length >= bodyStart + Number(length) ? { status, head, length: bodyStart + Number(length) } : undefined;
      const last = buffered.indexOf('\r\n0\r\n\r\n', bodyStart - 2);
      return last < 0 ? undefined : { status, head, length: last + 7 };
    };
    socket.once('connect', () =>
      resolve({
        send: (text) => socket.write(text, 'latin1'),
        response: async () => {
          for (;;) {
            const r = complete();
            if (r !== undefined) {
              buffered = buffered.slice(r.length);
              return { status: r.status, head: r.head };
            }
            if (outcome !== undefined || socket.destroyed) throw new Error(`the connection ended (${outcome ?? 'closed'}) before a whole response`);
            await next();
          }
        },
        ended: async () => {
          while (outcome === undefined && !socket.destroyed) await next();
          return outcome ?? 'end';
        },
      }),
    );
    socket.once('error', reject);
  });
}

function servingOnly(workers: ProcessView['workers'], generation: number, count: number) {
  return workers.length === count && workers.every((w) => w.generation === generation && w.state === 'serving') ? workers : undefined;
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
  const serving = async (generation: number) => servingOnly((await fetchJson<{ process: ProcessView }>(proxy.ports.admin, '/config_dump')).process.workers, generation, 2);
  /** The current generation's serving workers, and one of their pids (never 0: kill(0) would signal this test's group). */
  const servingNow = async () => {
    const generation = (await fetchJson<{ process: ProcessView }>(proxy.ports.admin, '/config_dump')).process.generation;
    const workers = await waitFor(() => serving(generation), { what: `generation ${generation} serving`, timeoutMs: 30_000 });
    const victim = workers[0]?.pid ?? Number.NaN;
    expect(victim).toBeGreaterThan(0);
    return { generation, victim };
  };
  const replacedIn = (generation: number, pid: number) =>
    waitFor(
      async () => {
        const workers = await serving(generation);
        return workers?.every((w) => w.pid !== pid) ? workers : undefined;
      },
      { what: 'a replacement worker', timeoutMs: 30_000 },
    );

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

  it('the supervisor serves /filters: the inbound chain its workers run', async () => {
    expect(await fetchJson(proxy.ports.admin, '/filters')).toEqual({
      inbound: ['health', 'overload', 'request-metrics', 'authorization', 'rate-limit', 'timeouts', 'forwarded', 'client-identity', 'stats', 'app-metrics', 'forward'],
    });
  }, 30_000);

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
    const victim = third[0]?.pid ?? Number.NaN;
    expect(victim).toBeGreaterThan(0);
    process.kill(victim, 'SIGKILL');
    const replaced = await replacedIn(3, victim);
    expect(replaced.map((w) => w.pid)).toContain(third[1]?.pid);
    expect(await metrics()).toContain('proxy_worker_restarts_total 1');
    expect((await fetchOnce(proxy.ports.http, '/')).status).toBe(200);
  }, 90_000);

  it("a killed worker's counts stay in the totals: those it sent every COUNTERS_INTERVAL_MS, with no scrape between", async () => {
    const baseline = await metrics();
    const load = startLoad({ port: proxy.ports.http, host: 'localhost', workers: 4, maxRequests: 400, maxMs: 60_000 });
    await waitFor(() => load.sent() >= 400, { what: 'the load to be sent' });
    await load.stop();
    expect(Object.fromEntries(load.results)).toEqual({ '200': 400 });
    // Two intervals, so each worker has sent its counters since the last request; nothing scrapes meanwhile.
    await new Promise((r) => setTimeout(r, 2 * COUNTERS_INTERVAL_MS));
    const { generation, victim } = await servingNow();
    process.kill(victim, 'SIGKILL');
    await replacedIn(generation, victim);
    const after = await metrics();
    for (const name of COUNTERS) expect(total(after, name), name).toBeGreaterThanOrEqual(total(baseline, name) + 400);
  }, 90_000);

  it('a worker killed under load: no scrape afterwards shows less than the last one before', async () => {
    const load = startLoad({ port: proxy.ports.http, host: 'localhost', workers: 4, maxRequests: 20_000, maxMs: 60_000 });
    await waitFor(() => load.sent() > 400, { what: 'load before the kill' });
    const { generation, victim } = await servingNow();
    const before = await metrics();
    process.kill(victim, 'SIGKILL');
    // Stopped at once, so the few requests after `before` cannot make up for a lost worker's share.
    await load.stop();
    const atKill = await metrics();
    await replacedIn(generation, victim);
    const after = await metrics();
    for (const name of COUNTERS) {
      expect(total(atKill, name), name).toBeGreaterThanOrEqual(total(before, name));
      expect(total(after, name), name).toBeGreaterThanOrEqual(total(atKill, name));
    }
  }, 90_000);

  it('SIGTERM drains every worker, then the supervisor exits 0', async () => {
    proxy.child.kill('SIGTERM');
    expect(await proxy.exited).toBe(0);
    expect(proxy.output()).toContain('workers drained; exiting');
  }, 60_000);
});

describe('hot restart with kept-alive HTTP/1.1 connections, both roles (real processes)', () => {
  const AUTHORITY = 'web.demo.svc.cluster.local:80';
  let destination: FakeDestination;
  let backend: TestBackend;
  let proxy: ProxyProcess;

  beforeAll(async () => {
    await buildProxy();
    destination = await startFakeDestination();
    backend = await startBackend('web');
    destination.setEndpoints(AUTHORITY, [{ host: '127.0.0.1', port: backend.port }]);
    proxy = await spawnProxy(
      proxyEnv(backend.port, {
        TRELLIS_PROXY_WORKERS: '2',
        TRELLIS_OUTBOUND_ADDR: '127.0.0.1:0',
        TRELLIS_DESTINATION_ADDR: `127.0.0.1:${destination.port}`,
        TRELLIS_POLICY_PORT: 'off',
      }),
    );
  }, 60_000);

  afterAll(async () => {
    await proxy?.kill();
    await backend?.close();
    await destination?.close();
  });

  it('a kept-alive connection, idle or half-way through a request head, gets its answer with connection: close (outbound and inbound)', async () => {
    const outbound = proxy.outbound ?? 0;
    await waitFor(async () => (await get(outbound, AUTHORITY)).status === 200, { what: 'the outbound role to resolve the service' });
    const roles = [
      { port: outbound, request: `GET / HTTP/1.1\r\nhost: ${AUTHORITY}\r\n\r\n` },
      { port: proxy.ports.http, request: 'GET / HTTP/1.1\r\nhost: localhost\r\n\r\n' },
    ];
    const connections = await Promise.all(
      roles.flatMap(({ port, request }) => [
        rawConnection(port).then((c) => ({ c, request, halfWay: false })),
        rawConnection(port).then((c) => ({ c, request, halfWay: true })),
      ]),
    );
    for (const { c, request, halfWay } of connections) {
      c.send(request);
      expect((await c.response()).status).toBe(200);
      if (halfWay) c.send(request.slice(0, 20));
    }
    const retiredBefore = proxy.output().split('retiring: the next generation serves').length;
    expect((await fetchOnce(proxy.ports.admin, '/hot-restart', { method: 'POST' })).status).toBe(200);
    await waitFor(() => proxy.output().split('retiring: the next generation serves').length >= retiredBefore + 2, { what: 'both old workers to begin their hand-off' });
    // Time for a hand-off that closes idle connections at once to have done so; this one keeps them for their next request.
    await new Promise((r) => setTimeout(r, 500));
    for (const { c, request, halfWay } of connections) c.send(halfWay ? request.slice(20) : request);
    for (const { c } of connections) {
      const answer = await c.response();
      expect({ status: answer.status, close: /\r\nconnection: close/i.test(answer.head) }).toEqual({ status: 200, close: true });
      expect(await c.ended()).toBe('end');
    }
    await waitFor(async () => servingOnly((await fetchJson<{ process: ProcessView }>(proxy.ports.admin, '/config_dump')).process.workers, 2, 2), {
      what: 'the first generation to retire',
      timeoutMs: 30_000,
    });
  }, 90_000);

  it('loses no request under load: kept-alive connections end after a response that says connection: close', async () => {
    const port = proxy.outbound ?? 0;
    await waitFor(async () => (await get(port, AUTHORITY)).status === 200, { what: 'the outbound role to resolve the service' });
    const load = startLoad({ port, host: AUTHORITY, workers: 4, maxRequests: 50_000, maxMs: 60_000 });
    await waitFor(() => load.sent() > 200, { what: 'load before the restart' });
    const restarted = await fetchOnce(proxy.ports.admin, '/hot-restart', { method: 'POST' });
    expect(restarted.status).toBe(200);
    await waitFor(async () => servingOnly((await fetchJson<{ process: ProcessView }>(proxy.ports.admin, '/config_dump')).process.workers, 3, 2), {
      what: 'the first generation to retire',
      timeoutMs: 30_000,
    });
    const atRetirement = load.sent();
    await waitFor(() => load.sent() > atRetirement + 200, { what: 'load after the restart' });
    await load.stop();
    expect(Object.fromEntries(load.results)).toEqual({ '200': load.sent() });
  }, 90_000);
});
