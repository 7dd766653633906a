import { EXIT_OK, type Command } from './command';
import { startDashboard } from './dashboard/dashboard-server';
import { DEFAULT_AUTOSCALER } from './check';
import { CliError } from './errors';
import { durationMs, hostPort, parseFlags } from './flags';
import { metricSources, TARGET_HELP, TARGET_OPTIONS } from './metric-sources';

/** Linkerd viz's `dashboard` local port. */
export const DEFAULT_DASHBOARD_PORT = 50750;
/** The local status lines' refresh (tools/local, 2 s), which is also the autoscaler's tick (Knative). */
export const DEFAULT_REFRESH_MS = 2_000;

const USAGE = `usage: trellis dashboard [flags]

Serves a live page: Services as a topology with edges from the proxies' metrics, golden metrics per Service,
Deployment and route, and replicas and the autoscaler's decisions over time. Runs until Ctrl-C.

${TARGET_HELP}
  --autoscaler H:P     autoscaler admin, for its decisions (default ${DEFAULT_AUTOSCALER})
  --no-autoscaler      no autoscaler to read
  --host H             address to listen on (default 127.0.0.1)
  --port P             port to listen on, 0 for any (default ${DEFAULT_DASHBOARD_PORT})
  --interval D         refresh, e.g. 2s (default ${DEFAULT_REFRESH_MS / 1000}s)
  -h, --help           this text`;

export const dashboardCommand: Command = {
  name: 'dashboard',
  summary: 'serve a live dashboard page',
  usage: USAGE,
  async run(argv, io) {
    const { values } = parseFlags('dashboard', argv, {
      ...TARGET_OPTIONS,
      autoscaler: { type: 'string' },
      'no-autoscaler': { type: 'boolean' },
      host: { type: 'string' },
      port: { type: 'string' },
      interval: { type: 'string' },
    });
    if (values.help) {
      io.stdout(`${USAGE}\n`);
      return EXIT_OK;
    }
    const port = values.port === undefined ? DEFAULT_DASHBOARD_PORT : Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new CliError('CLI_BAD_FLAG', `trellis dashboard: --port must be 0-65535, got "${values.port}"`);
    const intervalMs = durationMs('dashboard', 'interval', values.interval, DEFAULT_REFRESH_MS, 500, 60_000);
    const autoscaler = values['no-autoscaler'] ? undefined : hostPort('dashboard', 'autoscaler', values.autoscaler ?? DEFAULT_AUTOSCALER);
    await metricSources('dashboard', values);
    let lastErrors = '';
    const dashboard = await startDashboard({
      host: values.host ?? '127.0.0.1',
      port,
      intervalMs,
      sources: () => metricSources('dashboard', values),
      autoscaler,
      now: Date.now,
      onErrors: (errors) => {
        const text = errors.join('; ');
        if (text !== lastErrors) io.stderr(`trellis dashboard: not read: ${text}\n`);
        lastErrors = text;
      },
    });
    io.stdout(`trellis dashboard on ${dashboard.url} (Ctrl-C to stop)\n`);
    await new Promise<void>((resolve) => {
      if (io.signal === undefined || io.signal.aborted) resolve();
      else io.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    await dashboard.close();
    return EXIT_OK;
  },
};
