import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Knative's autoscaler metric labels (pkg/metrics), with the Deployment in place of the revision. */
const TARGET_LABELS = ['namespace_name', 'deployment_name'] as const;

export type TargetLabels = { namespace_name: string; deployment_name: string };

/** The per-target figures exported on /metrics, read when /metrics is scraped (not on every tick). */
export interface TargetFigures {
  labels: TargetLabels;
  metric: 'concurrency' | 'rps';
  desiredPods: number | undefined;
  requestedPods: number | undefined;
  readyPods: number;
  panicking: boolean;
  stable: number | undefined;
  panic: number | undefined;
  targetPerPod: number;
  excessBurstCapacity: number | undefined;
  annotationProblems: number;
}

type Figure = (t: TargetFigures) => number | undefined;

/** Every metric the autoscaler exports; names follow Knative's autoscaler (`autoscaler_*`) where one exists. */
export class AutoscalerMetrics {
  readonly registry = new Registry();
  readonly scrapeErrors = new Counter({
    name: 'autoscaler_scrape_errors_total',
    help: 'Pod scrapes that failed, by target and error code',
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
  readonly leader = new Gauge({ name: 'autoscaler_leader', help: '1 while this replica may actuate (holds the Lease, or no election)', registers: [this.registry] });
  private figures: () => Iterable<TargetFigures> = () => [];

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics === true) collectDefaultMetrics({ register: this.registry });
    const concurrency = (f: Figure): Figure => (t) => (t.metric === 'concurrency' ? f(t) : undefined);
    const rps = (f: Figure): Figure => (t) => (t.metric === 'rps' ? f(t) : undefined);
    this.perTarget('autoscaler_desired_pods', 'Number of pods the autoscaler wants (after bounds and the scale-to-zero gate)', (t) => t.desiredPods);
    this.perTarget('autoscaler_requested_pods', 'Replicas last requested from the actuator', (t) => t.requestedPods);
    this.perTarget('autoscaler_actual_pods', 'Ready pods of the target', (t) => t.readyPods);
    this.perTarget('autoscaler_panic_mode', '1 if the target is in panic mode, else 0', (t) => (t.panicking ? 1 : 0));
    this.perTarget('autoscaler_stable_request_concurrency', 'Average concurrency over the stable window', concurrency((t) => t.stable));
    this.perTarget('autoscaler_panic_request_concurrency', 'Average concurrency over the panic window', concurrency((t) => t.panic));
    this.perTarget('autoscaler_target_concurrency_per_pod', 'Concurrency target per pod', concurrency((t) => t.targetPerPod));
    this.perTarget('autoscaler_stable_requests_per_second', 'Average requests per second over the stable window', rps((t) => t.stable));
    this.perTarget('autoscaler_panic_requests_per_second', 'Average requests per second over the panic window', rps((t) => t.panic));
    this.perTarget('autoscaler_target_requests_per_second', 'Requests per second target per pod', rps((t) => t.targetPerPod));
    this.perTarget('autoscaler_excess_burst_capacity', 'Excess burst capacity over the panic window', (t) => t.excessBurstCapacity);
    this.perTarget('autoscaler_annotation_problems', 'Autoscaling annotations rejected (their defaults are used)', (t) => t.annotationProblems);
    const read = () => this.figures();
    new Gauge({
      name: 'autoscaler_targets',
      help: 'Deployments autoscaled by the KPA',
      registers: [this.registry],
      collect() {
        this.set([...read()].length);
      },
    });
  }

  /** Where the per-target gauges read their values from at scrape time. */
  readFrom(figures: () => Iterable<TargetFigures>): void {
    this.figures = figures;
  }

  private perTarget(name: string, help: string, figure: Figure): void {
    const read = () => this.figures();
    new Gauge({
      name,
      help,
      labelNames: [...TARGET_LABELS],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const t of read()) {
          const v = figure(t);
          if (v !== undefined) this.set(t.labels, v);
        }
      },
    });
  }
}
