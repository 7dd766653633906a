import { ATTEMPTS_BY_SERVICE, goldenMetrics, INBOUND_BY_DEPLOYMENT, REQUESTS_BY_SERVICE, windowCounts, type GoldenMetrics } from '@trellis/viz';
import { EXIT_OK, type Command, type Io } from './command';
import { CliError } from './errors';
import { durationMs, outputFormat, parseFlags } from './flags';
import { metricSources, scrapeAll, TARGET_HELP, TARGET_OPTIONS, type MetricSource } from './metric-sources';
import type { LocalMesh } from './local-replicas';
import { millis, percent, perSecond, table } from './table';

/** Ours: a window long enough to see a few requests and short enough to wait for; Linkerd's viz uses 1 m. */
export const DEFAULT_WINDOW_MS = 10_000;
export const MIN_WINDOW_MS = 1_000;
export const MAX_WINDOW_MS = 10 * 60_000;

export interface Window {
  before: Awaited<ReturnType<typeof scrapeAll>>;
  after: Awaited<ReturnType<typeof scrapeAll>>;
  seconds: number;
}

/** Scrapes every source, waits the window, scrapes again: counters and histograms are diffed between the two. */
export async function measureWindow(sources: readonly MetricSource[], windowMs: number, io: Io): Promise<Window> {
  const started = performance.now();
  const before = await scrapeAll(sources);
  await io.sleep(windowMs, io.signal);
  const after = await scrapeAll(sources);
  return { before, after, seconds: (performance.now() - started) / 1000 };
}

export type StatRow = { name: string; meshed?: string; attempts?: number } & GoldenMetrics;

export function deploymentRows(w: Window, mesh: LocalMesh | undefined): StatRow[] {
  const counts = windowCounts(w.before.scrapes, w.after.scrapes, INBOUND_BY_DEPLOYMENT);
  const names = new Set([...counts.keys(), ...(mesh?.desired.keys() ?? [])]);
  return [...names].sort().map((name) => {
    const ready = mesh?.replicas.filter((r) => r.workload === name && r.ready).length;
    const meshed = mesh === undefined ? undefined : `${ready}/${mesh.desired.get(name) ?? 0}`;
    const c = counts.get(name);
    return { name, ...(meshed ? { meshed } : {}), ...goldenMetrics(c ?? { success: 0, failure: 0, buckets: new Map() }, w.seconds) };
  });
}

export function serviceRows(w: Window): StatRow[] {
  const requests = windowCounts(w.before.scrapes, w.after.scrapes, REQUESTS_BY_SERVICE);
  const attempts = windowCounts(w.before.scrapes, w.after.scrapes, ATTEMPTS_BY_SERVICE);
  const names = new Set([...requests.keys(), ...attempts.keys()]);
  return [...names].sort().map((name) => {
    const a = attempts.get(name);
    return {
      name,
      ...goldenMetrics(requests.get(name) ?? { success: 0, failure: 0, buckets: new Map() }, w.seconds),
      attempts: a === undefined ? 0 : a.success + a.failure,
    };
  });
}

const KINDS: Readonly<Record<string, 'deploy' | 'svc'>> = { deploy: 'deploy', deployment: 'deploy', deployments: 'deploy', svc: 'svc', service: 'svc', services: 'svc' };

const USAGE = `usage: trellis stat [deploy|svc] [flags]

Golden metrics over a window: success rate, requests per second and latency percentiles.
  deploy (default)  per Deployment, as its own proxies answered (revision_request_* on each replica's :9091)
  svc               per Service, per request as clients saw it (route_response_*: retries inside one request),
                    with the attempts sent to endpoints beside it (response_total: each retry counted)

${TARGET_HELP}
  --window D           how long to measure, e.g. 10s or 1m (default ${DEFAULT_WINDOW_MS / 1000}s)
  -o table|json        output format (default table)
  -h, --help           this text`;

export function renderStat(rows: readonly StatRow[], kind: 'deploy' | 'svc'): string {
  const header = kind === 'deploy' ? ['NAME', 'MESHED', 'SUCCESS', 'RPS', 'LATENCY_P50', 'LATENCY_P95', 'LATENCY_P99'] : ['NAME', 'SUCCESS', 'RPS', 'LATENCY_P50', 'LATENCY_P95', 'LATENCY_P99', 'ATTEMPTS'];
  return table(
    header,
    rows.map((r) => {
      const metrics = [percent(r.successRate), perSecond(r.rps), millis(r.p50Ms), millis(r.p95Ms), millis(r.p99Ms)];
      return kind === 'deploy' ? [r.name, r.meshed ?? '-', ...metrics] : [r.name, ...metrics, String(r.attempts ?? 0)];
    }),
  );
}

export const statCommand: Command = {
  name: 'stat',
  summary: 'golden metrics per Deployment or Service over a window',
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals } = parseFlags('stat', argv, { ...TARGET_OPTIONS, window: { type: 'string' } }, true);
    if (values.help) {
      io.stdout(`${USAGE}\n`);
      return EXIT_OK;
    }
    if (positionals.length > 1 || (positionals[0] !== undefined && KINDS[positionals[0]] === undefined)) {
      throw new CliError('CLI_BAD_FLAG', `trellis stat: expected deploy or svc, got "${positionals.join(' ')}" (see trellis stat --help)`);
    }
    const kind = KINDS[positionals[0] ?? 'deploy'] ?? 'deploy';
    const format = outputFormat('stat', values.output);
    const windowMs = durationMs('stat', 'window', values.window, DEFAULT_WINDOW_MS, MIN_WINDOW_MS, MAX_WINDOW_MS);
    const { sources, mesh } = await metricSources('stat', values);
    const w = await measureWindow(sources, windowMs, io);
    for (const e of w.after.errors) io.stderr(`trellis stat: not read: ${e}\n`);
    const rows = kind === 'deploy' ? deploymentRows(w, mesh) : serviceRows(w);
    io.stdout(format === 'json' ? `${JSON.stringify({ kind, windowSeconds: w.seconds, rows }, null, 2)}\n` : `${renderStat(rows, kind)}\n`);
    return EXIT_OK;
  },
};
