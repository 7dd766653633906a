import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dashboardAnswer, dashboardPage, startDashboardRefresher, type MetricSource, type Round } from '@trellis/viz';
import type { LocalMesh } from '../local-replicas';

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
 * Serves the dashboard page (@trellis/viz, the same page the destination's admin port serves under /dashboard/)
 * at / and its state at /api/state, refreshed every interval from the proxies this CLI was pointed at.
 */
export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const refresher = startDashboardRefresher({
    intervalMs: options.intervalMs,
    sources: async () => {
      const { sources, mesh } = await options.sources();
      const replicas = replicasOf(mesh);
      return { sources, ...(replicas ? { replicas } : {}) };
    },
    autoscaler: options.autoscaler,
    now: options.now,
    onErrors: options.onErrors,
  });
  const page = dashboardPage(options.intervalMs);
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const answer = path.startsWith('/') ? dashboardAnswer(req.method, path.slice(1), refresher, page) : undefined;
    if (answer === undefined) res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    else res.writeHead(answer.status, answer.headers).end(answer.body);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => resolve());
    });
  } catch (err) {
    refresher.close();
    throw err;
  }
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}/`,
    nextRound: () => refresher.nextRound(),
    close() {
      closing ??= new Promise<void>((resolve) => {
        refresher.close();
        server.closeAllConnections();
        server.close(() => resolve());
      });
      return closing;
    },
  };
}
