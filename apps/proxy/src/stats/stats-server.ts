import { createServer } from 'node:http';
import { Gauge, Registry } from 'prom-client';
import { Stat } from '@trellis/proto';
import { listen, stopListening } from '../listen';
import type { Logger } from '../logger';
import type { StatsReporter } from './stats-reporter';

export interface StatLabels {
  readonly namespace: string;
  readonly configuration: string;
  readonly revision: string;
  readonly pod: string;
}

const LABELS = ['destination_namespace', 'destination_configuration', 'destination_revision', 'destination_pod'] as const;

/** Knative's queue-proxy Prometheus stats (pkg/queue/prometheus_stats_reporter.go), one registry of their own. */
export function createStatsRegistry(reporter: Pick<StatsReporter, 'latest'>, labels: StatLabels): Registry {
  const registry = new Registry();
  const values = {
    destination_namespace: labels.namespace,
    destination_configuration: labels.configuration,
    destination_revision: labels.revision,
    destination_pod: labels.pod,
  };
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      labelNames: LABELS,
      registers: [registry],
      collect() {
        this.set(values, read());
      },
    });
  gauge('queue_requests_per_second', 'Number of requests received since last Stat', () => reporter.latest.requestCount);
  gauge('queue_proxied_operations_per_second', 'Number of proxied requests received since last Stat', () => reporter.latest.proxiedRequestCount);
  gauge('queue_average_concurrent_requests', 'Number of requests currently being handled by this pod', () => reporter.latest.averageConcurrentRequests);
  gauge(
    'queue_average_proxied_concurrent_requests',
    'Number of proxied requests currently being handled by this pod',
    () => reporter.latest.averageProxiedConcurrentRequests,
  );
  gauge('process_uptime', 'The number of seconds that the process has been up', () => reporter.latest.processUptime);
  return registry;
}

/** `:9090/metrics`: the latest Stat as protobuf when the scraper accepts it, else Prometheus text. */
export async function startStatsServer(options: {
  /** The latest Stat: one process's reporter, or the supervisor's sum over its workers. */
  reporter: Pick<StatsReporter, 'latest'>;
  registry: Registry;
  host: string;
  port: number;
  logger: Logger;
}): Promise<{ port: number; close(): Promise<void> }> {
  const { reporter, registry, logger } = options;
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url !== '/metrics' && !req.url?.startsWith('/metrics?'))) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    if (req.headers.accept?.includes('application/protobuf')) {
      const bytes = Stat.encode(reporter.latest).finish();
      res.writeHead(200, { 'content-type': 'application/protobuf', 'content-length': bytes.length }).end(bytes);
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (err: unknown) => {
        logger.error({ err }, 'stats collection failed');
        res.writeHead(500, { 'content-type': 'text/plain' }).end('stats collection failed\n');
      },
    );
  });
  const port = await listen(server, options.port, options.host);
  let closing: Promise<void> | undefined;
  return { port, close: () => (closing ??= stopListening(server, { force: true })) };
}
