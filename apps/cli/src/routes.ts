import { goldenMetrics, REQUESTS_BY_ROUTE, ROUTE_KEY_SEPARATOR, splitKey, windowCounts, type GoldenMetrics } from '@trellis/viz';
import { EXIT_OK, type Command } from './command';
import { CliError } from './errors';
import { durationMs, outputFormat, parseFlags } from './flags';
import { metricSources, TARGET_HELP, TARGET_OPTIONS } from './metric-sources';
import { DEFAULT_WINDOW_MS, MAX_WINDOW_MS, measureWindow, MIN_WINDOW_MS, type Window } from './stat';
import { millis, percent, perSecond, table } from './table';

export type RouteRow = { service: string; route: string } & GoldenMetrics;

export function routeRows(w: Window): RouteRow[] {
  const counts = windowCounts(w.before.scrapes, w.after.scrapes, REQUESTS_BY_ROUTE);
  return [...counts].map(([key, c]) => {
    const [service, route] = splitKey(key, ROUTE_KEY_SEPARATOR);
    return { service, route, ...goldenMetrics(c, w.seconds) };
  });
}

function render(rows: readonly RouteRow[]): string {
  return table(
    ['SERVICE', 'ROUTE', 'SUCCESS', 'RPS', 'LATENCY_P50', 'LATENCY_P95', 'LATENCY_P99'],
    rows.map((r) => [r.service, r.route, percent(r.successRate), perSecond(r.rps), millis(r.p50Ms), millis(r.p95Ms), millis(r.p99Ms)]),
    2,
  );
}

/** `namespace/name`, or the `name.namespace.svc...` a client would use, as the service key of the metrics. */
function serviceKey(raw: string): string {
  if (/^[a-z0-9-]+\/[a-z0-9-]+$/.test(raw)) return raw;
  const parts = raw.split(':')[0]?.split('.') ?? [];
  if (parts.length >= 2) return `${parts[1]}/${parts[0]}`;
  throw new CliError('CLI_BAD_FLAG', `trellis routes: expected a service as namespace/name or name.namespace.svc.cluster.local, got "${raw}"`);
}

/** Ours: rows `top` shows. */
export const DEFAULT_TOP_LIMIT = 10;
const MAX_TOP_LIMIT = 1000;

const COMMON_HELP = `${TARGET_HELP}
  --window D           how long to measure (default ${DEFAULT_WINDOW_MS / 1000}s)
  -o table|json        output format (default table)
  -h, --help           this text`;

const ROUTES_USAGE = `usage: trellis routes [SERVICE] [flags]

Golden metrics per ServiceProfile route (route_response_* of the clients' proxies: one request, retries inside),
for one Service (namespace/name or its DNS name) or all. Requests that match no route are [DEFAULT].

${COMMON_HELP}`;

const TOP_USAGE = `usage: trellis top [flags]

The busiest routes across the mesh over the window, by requests per second.

  --limit N            rows to show (default ${DEFAULT_TOP_LIMIT})
${COMMON_HELP}`;


export const routesCommand: Command = {
  name: 'routes',
  summary: 'golden metrics per route of one Service or all',
  usage: ROUTES_USAGE,
  async run(argv, io) {
    const { values, positionals } = parseFlags('routes', argv, { ...TARGET_OPTIONS, window: { type: 'string' } }, true);
    if (values.help) {
      io.stdout(`${ROUTES_USAGE}\n`);
      return EXIT_OK;
    }
    if (positionals.length > 1) throw new CliError('CLI_BAD_FLAG', `trellis routes: one service at most, got ${positionals.length} (see trellis routes --help)`);
    const only = positionals[0] === undefined ? undefined : serviceKey(positionals[0]);
    const format = outputFormat('routes', values.output);
    const windowMs = durationMs('routes', 'window', values.window, DEFAULT_WINDOW_MS, MIN_WINDOW_MS, MAX_WINDOW_MS);
    const { sources } = await metricSources('routes', values);
    const w = await measureWindow(sources, windowMs, io);
    for (const e of w.after.errors) io.stderr(`trellis routes: not read: ${e}\n`);
    const rows = routeRows(w)
      .filter((r) => only === undefined || r.service === only)
      .sort((a, b) => a.service.localeCompare(b.service) || a.route.localeCompare(b.route));
    io.stdout(format === 'json' ? `${JSON.stringify({ windowSeconds: w.seconds, rows }, null, 2)}\n` : `${render(rows)}\n`);
    return EXIT_OK;
  },
};

export const topCommand: Command = {
  name: 'top',
  summary: 'the busiest routes across the mesh',
  usage: TOP_USAGE,
  async run(argv, io) {
    const { values } = parseFlags('top', argv, { ...TARGET_OPTIONS, window: { type: 'string' }, limit: { type: 'string' } });
    if (values.help) {
      io.stdout(`${TOP_USAGE}\n`);
      return EXIT_OK;
    }
    const limit = values.limit === undefined ? DEFAULT_TOP_LIMIT : Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_TOP_LIMIT) throw new CliError('CLI_BAD_FLAG', `trellis top: --limit must be an integer from 1 to ${MAX_TOP_LIMIT}, got "${values.limit}"`);
    const format = outputFormat('top', values.output);
    const windowMs = durationMs('top', 'window', values.window, DEFAULT_WINDOW_MS, MIN_WINDOW_MS, MAX_WINDOW_MS);
    const { sources } = await metricSources('top', values);
    const w = await measureWindow(sources, windowMs, io);
    for (const e of w.after.errors) io.stderr(`trellis top: not read: ${e}\n`);
    const rows = routeRows(w).filter((r) => r.requests > 0).sort((a, b) => b.rps - a.rps).slice(0, limit);
    io.stdout(format === 'json' ? `${JSON.stringify({ windowSeconds: w.seconds, rows }, null, 2)}\n` : `${render(rows)}\n`);
    return EXIT_OK;
  },
};
