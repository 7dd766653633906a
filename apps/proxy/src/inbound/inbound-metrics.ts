import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

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

const REVISION_LABELS = ['namespace_name', 'configuration_name', 'revision_name', 'pod_name'] as const;
const RESPONSE_LABELS = [...REVISION_LABELS, 'response_code', 'response_code_class'] as const;

interface StatusChildren {
  count: { inc(): void };
  latency: { observe(value: number): void };
}

/**
 * Knative queue-proxy's request metrics (revision_request_count, revision_request_latencies,
 * revision_app_request_*, revision_queue_depth) under Prometheus-lint-clean names. Children are cached
 * per status code so the per-request cost is two map lookups.
 */
export class InboundMetrics {
  private readonly requests: Counter<(typeof RESPONSE_LABELS)[number]>;
  private readonly requestLatency: Histogram<(typeof RESPONSE_LABELS)[number]>;
  private readonly appRequests: Counter<(typeof RESPONSE_LABELS)[number]>;
  private readonly appLatency: Histogram<(typeof RESPONSE_LABELS)[number]>;
  private readonly requestChildren = new Map<number, StatusChildren>();
  private readonly appChildren = new Map<number, StatusChildren>();
  private readonly labels: Record<(typeof REVISION_LABELS)[number], string>;

  constructor(registry: Registry, labels: RevisionLabels, queueDepth: () => number) {
    this.labels = {
      namespace_name: labels.namespace,
      configuration_name: labels.configuration,
      revision_name: labels.revision,
      pod_name: labels.pod,
    };
    const registers = [registry];
    this.requests = new Counter({
      name: 'revision_request_total',
      help: 'Requests answered by the inbound proxy (probes excluded).',
      labelNames: RESPONSE_LABELS,
      registers,
    });
    this.requestLatency = new Histogram({
      name: 'revision_request_duration_seconds',
      help: 'Time from request arrival at the inbound proxy to the end of its response, queueing included.',
      labelNames: RESPONSE_LABELS,
      buckets: LATENCY_BUCKETS_SECONDS,
      registers,
    });
    this.appRequests = new Counter({
      name: 'revision_app_request_total',
      help: 'Requests forwarded to the app.',
      labelNames: RESPONSE_LABELS,
      registers,
    });
    this.appLatency = new Histogram({
      name: 'revision_app_request_duration_seconds',
      help: 'Time from admission by the breaker to the end of the app response.',
      labelNames: RESPONSE_LABELS,
      buckets: LATENCY_BUCKETS_SECONDS,
      registers,
    });
    const fixed = this.labels;
    new Gauge({
      name: 'revision_queue_depth',
      help: 'Requests waiting in the breaker queue.',
      labelNames: REVISION_LABELS,
      registers,
      collect() {
        this.set(fixed, queueDepth());
      },
    });
  }

  recordRequest(status: number, seconds: number): void {
    const children = this.children(this.requestChildren, this.requests, this.requestLatency, status);
    children.count.inc();
    children.latency.observe(seconds);
  }

  recordAppRequest(status: number, seconds: number): void {
    const children = this.children(this.appChildren, this.appRequests, this.appLatency, status);
    children.count.inc();
    children.latency.observe(seconds);
  }

  private children(
    cache: Map<number, StatusChildren>,
    counter: Counter<(typeof RESPONSE_LABELS)[number]>,
    histogram: Histogram<(typeof RESPONSE_LABELS)[number]>,
    status: number,
  ): StatusChildren {
    let children = cache.get(status);
    if (!children) {
      const labels = { ...this.labels, response_code: String(status), response_code_class: `${Math.floor(status / 100)}xx` };
      children = { count: counter.labels(labels), latency: histogram.labels(labels) };
      cache.set(status, children);
    }
    return children;
  }
}
