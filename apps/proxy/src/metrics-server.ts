import { createServer, type Server } from 'node:http';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { listen, stopListening } from './listen';
import type { Logger } from './logger';

/** Knative/Linkerd convention: everything but the autoscaling stats is scraped from :9091. */
export const DEFAULT_METRICS_PORT = 9091;

export interface MetricsServer {
  readonly port: number;
  close(): Promise<void>;
}

/** prom-client gauges whose `_total` suffix `promtool check metrics` rejects (a suffix reserved for counters). */
const MISNAMED_DEFAULT_GAUGES = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/**
 * The process-wide Prometheus registry, with prom-client's process and Node.js metrics, minus the
 * gauge totals that `nodejs_active_resources{type}` already breaks down.
 */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  for (const name of MISNAMED_DEFAULT_GAUGES) registry.removeSingleMetric(name);
  return registry;
}

/** Serves `GET /metrics` in Prometheus text format from one registry. */
export async function startMetricsServer(options: {
  /** One registry, or the supervisor's aggregate over its workers. */
  registry: Pick<Registry, 'metrics' | 'contentType'>;
  host: string;
  port: number;
  logger: Logger;
}): Promise<MetricsServer> {
  const { registry, logger } = options;
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url !== '/metrics' && !req.url?.startsWith('/metrics?'))) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (err: unknown) => {
        logger.error({ err }, 'metrics collection failed');
        res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics collection failed\n');
      },
    );
  });
  const port = await listen(server, options.port, options.host);
  let closing: Promise<void> | undefined;
  return {
    port,
    close: () => (closing ??= stopListening(server, { force: true })),
  };
}
