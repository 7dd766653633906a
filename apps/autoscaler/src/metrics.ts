import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Knative's autoscaler metric labels (pkg/metrics), with the Deployment in place of the revision. */
const TARGET_LABELS = ['namespace_name', 'deployment_name'] as const;

export type TargetLabels = { namespace_name: string; deployment_name: string };

/** Every metric the autoscaler exports; names follow Knative's autoscaler (`autoscaler_*`) where one exists. */
export class AutoscalerMetrics {
  readonly registry = new Registry();
  readonly desiredPods = this.gauge('autoscaler_desired_pods', 'Number of pods the autoscaler wants (after bounds and the scale-to-zero gate)');
  readonly requestedPods = this.gauge('autoscaler_requested_pods', 'Replicas last requested from the actuator');
  readonly actualPods = this.gauge('autoscaler_actual_pods', 'Ready pods of the target');
  readonly panicMode = this.gauge('autoscaler_panic_mode', '1 if the target is in panic mode, else 0');
  readonly stableConcurrency = this.gauge('autoscaler_stable_request_concurrency', 'Average concurrency over the stable window');
  readonly panicConcurrency = this.gauge('autoscaler_panic_request_concurrency', 'Average concurrency over the panic window');
  readonly targetConcurrency = this.gauge('autoscaler_target_concurrency_per_pod', 'Concurrency target per pod');
  readonly stableRps = this.gauge('autoscaler_stable_requests_per_second', 'Average requests per second over the stable window');
  readonly panicRps = this.gauge('autoscaler_panic_requests_per_second', 'Average requests per second over the panic window');
  readonly targetRps = this.gauge('autoscaler_target_requests_per_second', 'Requests per second target per pod');
  readonly excessBurstCapacity = this.gauge('autoscaler_excess_burst_capacity', 'Excess burst capacity over the panic window');
  readonly annotationProblems = this.gauge('autoscaler_annotation_problems', 'Autoscaling annotations rejected (their defaults are used)');
  readonly scrapeErrors = new Counter({
    name: 'autoscaler_scrape_errors_total',
    help: 'Pod scrapes that failed, by error code',
    labelNames: [...TARGET_LABELS, 'code'],
    registers: [this.registry],
  });
  readonly scrapeDuration = new Histogram({
    name: 'autoscaler_scrape_duration_seconds',
    help: 'Time to scrape one target (all its sampled pods)',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly tickDuration = new Histogram({
    name: 'autoscaler_decision_tick_duration_seconds',
    help: 'Time to decide for every target in one tick',
    buckets: [0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [this.registry],
  });
  readonly actuations = new Counter({ name: 'autoscaler_actuations_total', help: 'Scale requests sent, by result', labelNames: ['result'], registers: [this.registry] });
  readonly pokes = new Counter({ name: 'autoscaler_pokes_total', help: 'Poke messages received, by result', labelNames: ['result'], registers: [this.registry] });
  readonly targets = new Gauge({ name: 'autoscaler_targets', help: 'Deployments autoscaled by the KPA', registers: [this.registry] });
  readonly leader = new Gauge({ name: 'autoscaler_leader', help: '1 while this replica holds the Lease (only the leader actuates)', registers: [this.registry] });

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics === true) collectDefaultMetrics({ register: this.registry });
  }

  /** Drops every series of a target that is no longer autoscaled. */
  forget(labels: TargetLabels): void {
    for (const g of [
      this.desiredPods,
      this.requestedPods,
      this.actualPods,
      this.panicMode,
      this.stableConcurrency,
      this.panicConcurrency,
      this.targetConcurrency,
      this.stableRps,
      this.panicRps,
      this.targetRps,
      this.excessBurstCapacity,
      this.annotationProblems,
    ]) {
      g.remove(labels);
    }
    this.scrapeErrors.remove({ ...labels, code: 'SCRAPE_TIMEOUT' });
    this.scrapeErrors.remove({ ...labels, code: 'SCRAPE_CONNECT' });
    this.scrapeErrors.remove({ ...labels, code: 'SCRAPE_HTTP_STATUS' });
    this.scrapeErrors.remove({ ...labels, code: 'SCRAPE_BAD_BODY' });
  }

  private gauge(name: string, help: string): Gauge<(typeof TARGET_LABELS)[number]> {
    return new Gauge({ name, help, labelNames: [...TARGET_LABELS], registers: [this.registry] });
  }
}
