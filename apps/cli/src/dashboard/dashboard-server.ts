import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DashboardState, parsePrometheusText, type Round } from '@trellis/viz';
import { httpGet } from '../http-get';
import type { LocalMesh } from '../local-replicas';
import { scrapeAll, type MetricSource } from '../metric-sources';
import { dashboardPage } from './page';

export interface DashboardOptions {
  host: string;
  port: number;
  intervalMs: number;
  /** The proxies to read this round (a local mesh's replicas change between rounds). */
  sources(): Promise<{ sources: MetricSource[]; mesh?: LocalMesh }>;
  /** The autoscaler's admin address, for its decisions; undefined when there is none. */
  autoscaler: string | undefined;
  now(): number;
  /** Sources that did not answer in a round. */
  onErrors(errors: readonly string[]): void;
}

export interface Dashboard {
  readonly url: string;
  /** Resolves after the next completed round (tests wait on it instead of on time). */
  nextRound(): Promise<void>;
  close(): Promise<void>;
}

function replicasOf(mesh: LocalMesh | undefined): Round['replicas'] {
  if (mesh === undefined) return undefined;
  const out = new Map<string, { ready: number; desired: number; services: string[] }>();
  for (const [name, desired] of mesh.desired) out.set(name, { ready: 0, desired, services: [] });
  for (const r of mesh.replicas) {
    const entry = out.get(r.workload) ?? { ready: 0, desired: 0, services: [] };
    if (r.ready) entry.ready++;
    for (const s of r.services) if (!entry.services.includes(s)) entry.services.push(s);
    out.set(r.workload, entry);
  }
  return out;
}

/**
 * Serves the dashboard page and its state, refreshing the state every interval: every proxy and the
 * autoscaler scraped once per round, rounds never overlapping. GET / (the page), GET /api/state (JSON;
 * 503 before the first round), anything else 404.
 */
export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const state = new DashboardState();
  const page = dashboardPage(options.intervalMs);
  let waiters: (() => void)[] = [];
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const round = async () => {
    const { sources, mesh } = await options.sources().catch(() => ({ sources: [] as MetricSource[], mesh: undefined }));
    const [scraped, autoscaler] = await Promise.all([
      scrapeAll(sources),
      options.autoscaler === undefined ? undefined : httpGet(options.autoscaler, '/metrics').then((a) => parsePrometheusText(a.body), () => undefined),
    ]);
    if (scraped.errors.length > 0) options.onErrors(scraped.errors);
    const replicas = replicasOf(mesh);
    state.update({ at: options.now(), scrapes: scraped.scrapes, ...(autoscaler ? { autoscaler } : {}), ...(replicas ? { replicas } : {}) });
    const done = waiters;
    waiters = [];
    for (const w of done) w();
  };
  const loop = () => {
    void round().finally(() => {
      if (!closed) timer = setTimeout(loop, options.intervalMs);
    });
  };

  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') {
      res.writeHead(405, { allow: 'GET' }).end('method not allowed\n');
    } else if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(page);
    } else if (path === '/api/state') {
      const snapshot = state.snapshot();
      if (snapshot === undefined) res.writeHead(503, { 'content-type': 'text/plain' }).end('no reading yet\n');
      else res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(snapshot));
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  loop();
  let closing: Promise<void> | undefined;
  return {
    url: `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}/`,
    nextRound: () => new Promise<void>((resolve) => waiters.push(resolve)),
    close() {
      closing ??= new Promise<void>((resolve) => {
        closed = true;
        clearTimeout(timer);
        server.closeAllConnections();
        server.close(() => resolve());
      });
      return closing;
    },
  };
}
