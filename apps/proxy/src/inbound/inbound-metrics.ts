import { Gauge, type Registry } from 'prom-client';
import { StatusHistogram } from './status-histogram';

/**
 * Knative's revision latency buckets (pkg/queue request metrics, in ms: 5 ms … 100 s), in seconds
 * because Prometheus wants base units.
 */
export const LATENCY_BUCKETS_SECONDS = [
  0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 2, 5,
  10, 20, 50, 100,
];

export interface RevisionLabels {
  readonly namespace: string;
  readonly configuration: string;
  readonly revision: string;
  readonly pod: string;
}

/**
 * Knative queue-proxy's request metrics (revision_request_count, revision_request_latencies,
 * revision_app_request_*, revision_queue_depth) under Prometheus-lint-clean names.
 */
export class InboundMetrics {
  private readonly requests = new StatusHistogram(LATENCY_BUCKETS_SECONDS);
  private readonly appRequests = new StatusHistogram(LATENCY_BUCKETS_SECONDS);

  constructor(registry: Registry, labels: RevisionLabels, queueDepth: () => number) {
    const fixed = {
      namespace_name: labels.namespace,
      configuration_name: labels.configuration,
      revision_name: labels.revision,
      pod_name: labels.pod,
    };
    this.requests.register(
      registry,
      {
        counterName: 'revision_request_total',
        counterHelp: 'Requests answered by the inbound proxy (probes excluded).',
        histogramName: 'revision_request_duration_seconds',
        histogramHelp: 'Time from request arrival at the inbound proxy to the end of its response, queueing included.',
      },
      fixed,
    );
    this.appRequests.register(
      registry,
      {
        counterName: 'revision_app_request_total',
        counterHelp: 'Requests forwarded to the app.',
        histogramName: 'revision_app_request_duration_seconds',
        histogramHelp: 'Time from admission by the breaker to the end of the app response.',
      },
      fixed,
    );
    new Gauge({
      name: 'revision_queue_depth',
      help: 'Requests waiting in the breaker queue.',
      labelNames: Object.keys(fixed),
      registers: [registry],
      collect() {
        this.set(fixed, queueDepth());
      },
    });
  }

  recordRequest(status: number, seconds: number): void {
    this.requests.observe(status, seconds);
  }

  recordAppRequest(status: number, seconds: number): void {
    this.appRequests.observe(status, seconds);
  }
}
