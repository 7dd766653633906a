import {
  Decider,
  MetricCollection,
  TargetScaler,
  panicWindowSec,
  parseAutoscalingAnnotations,
  sampleSize,
  scaleSamples,
  scrapeOrder,
  toDeciderSpec,
  type AnnotationProblem,
  type AutoscalingConfig,
  type DeciderSpec,
  type Observed,
  type PodStat,
  type ScaleRates,
  type ScaleResult,
} from '@trellis/kpa';
import type { Logger } from 'pino';
import type { Actuator } from './actuator';
import { AutoscalerError } from './errors';
import type { AutoscalerMetrics, TargetFigures, TargetLabels } from './metrics';
import type { ScrapeFn } from './scrape-client';
import type { ReadyPod, TargetView } from './targets';

/** Scrapes in flight across all targets; beyond it scrapes wait (bounded fan-out). */
export const MAX_CONCURRENT_SCRAPES = 256;
/** A scrape failure is logged at most this often per target (the rest are counted). */
export const SCRAPE_ERROR_LOG_INTERVAL_MS = 30_000;
/** A scale request not yet visible in the Deployment is sent again after this long. */
export const ACTUATION_RETRY_MS = 10_000;

export interface AutoscalerOptions {
  scrape: ScrapeFn;
  actuator: Actuator;
  metrics: AutoscalerMetrics;
  logger: Logger;
  /** Only the leader actuates; followers keep their metric windows warm. */
  isLeader: () => boolean;
  clock?: () => number;
  random?: () => number;
  gracePeriodSec?: number;
  rates?: ScaleRates;
  allowZeroInitialScale?: boolean;
}

/** What the autoscaler knows about one target; read by the admin server and tests. */
export interface TargetStatus {
  key: string;
  config: AutoscalingConfig;
  problems: AnnotationProblem[];
  readyPods: number;
  replicas: number;
  observed: Observed | undefined;
  decision: ScaleResult | undefined;
  desiredReplicas: number | undefined;
  panicking: boolean;
}

export type PokeOutcome =
  | { status: 'unknown-target' }
  | { status: 'recorded' }
  | { status: 'decided'; desiredReplicas: number };

interface TargetState {
  view: TargetView;
  /** The annotations, container concurrency and reachability the config was made from; unchanged input is not re-parsed. */
  inputKey: string;
  config: AutoscalingConfig;
  /** Knative's revision reachability: some Service selects the Deployment's pods (nothing routes to it otherwise). */
  reachable: boolean;
  problems: AnnotationProblem[];
  decider: Decider;
  collection: MetricCollection;
  scaler: TargetScaler;
  labels: TargetLabels;
  firstSeenMs: Map<string, number>;
  scraping: boolean;
  observed: Observed | undefined;
  decision: ScaleResult | undefined;
  desiredReplicas: number | undefined;
  actuating: boolean;
  requested: { replicas: number; atMs: number } | undefined;
  errorLog: { lastMs: number; suppressed: number };
}

/**
 * The KPA control loop: per target a metric collection fed by scrapes (and pokes), a Decider and a TargetScaler.
 * `sync` follows the cluster, `scrapeTick` runs every second, `decideTick` every two; the app owns the timers.
 */
export class Autoscaler {
  private readonly targets = new Map<string, TargetState>();
  private readonly clock: () => number;
  private readonly random: () => number;
  private readonly slots = new Semaphore(MAX_CONCURRENT_SCRAPES);
  private readonly pending = new Set<Promise<unknown>>();
  private closed = false;

  constructor(private readonly options: AutoscalerOptions) {
    this.clock = options.clock ?? Date.now;
    this.random = options.random ?? Math.random;
    options.metrics.readFrom(() => this.figures());
  }

  /** Follows the current set of autoscaled Deployments: adds, reconfigures and forgets targets. */
  sync(views: readonly TargetView[]): void {
    const now = this.clock();
    const seen = new Set<string>();
    for (const view of views) {
      seen.add(view.key);
      const state = this.targets.get(view.key);
      if (state === undefined) this.add(view, now);
      else this.update(state, view, now);
    }
    for (const [key, state] of this.targets) {
      if (seen.has(key)) continue;
      this.targets.delete(key);
      this.forgetScrapeErrors(state.labels);
      this.options.logger.info({ target: key }, 'target removed');
    }
  }

  /** Scrapes every target once (a target whose previous scrape is still running is skipped). */
  async scrapeTick(): Promise<void> {
    const now = this.clock();
    await Promise.all([...this.targets.values()].map((t) => this.scrapeTarget(t, now)));
  }

  /** Decides for every target and actuates the changes (leader only). */
  decideTick(): void {
    const end = this.options.metrics.tickDuration.startTimer();
    const now = this.clock();
    for (const t of this.targets.values()) this.decide(t, now);
    end();
  }

  /**
   * A request-holding proxy reports demand (Knative activator stats): the stat is recorded, and a target at zero
   * gets an immediate decision. `name` is the Deployment's name, or the name of a Service that selects its pods.
   */
  poke(namespace: string, name: string, stat: PodStat): PokeOutcome {
    const t = this.targets.get(`${namespace}/${name}`) ?? this.byService(namespace, name);
    if (t === undefined) return { status: 'unknown-target' };
    const now = this.clock();
    t.collection.record(now, stat);
    if (t.view.replicas > 0) return { status: 'recorded' };
    this.decide(t, now);
    return { status: 'decided', desiredReplicas: t.desiredReplicas ?? 0 };
  }

  private byService(namespace: string, service: string): TargetState | undefined {
    for (const t of this.targets.values()) if (t.view.namespace === namespace && t.view.services.includes(service)) return t;
    return undefined;
  }

  status(key: string): TargetStatus | undefined {
    const t = this.targets.get(key);
    if (t === undefined) return undefined;
    return {
      key,
      config: t.config,
      problems: t.problems,
      readyPods: t.view.pods.length,
      replicas: t.view.replicas,
      observed: t.observed,
      decision: t.decision,
      desiredReplicas: t.desiredReplicas,
      panicking: t.decider.panicking,
    };
  }

  /** Resolves once every scale request in flight has settled (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  /** Idempotent: stops actuating and waits for requests in flight. */
  async close(): Promise<void> {
    this.closed = true;
    await this.settled();
  }

  private add(view: TargetView, now: number): void {
    const { config, problems } = this.parse(view);
    const labels = { namespace_name: view.namespace, deployment_name: view.name };
    const isNew = view.createdMs !== undefined && now - view.createdMs < config.stableWindowSec * 1000;
    const state: TargetState = {
      view,
      inputKey: inputKey(view),
      config,
      problems,
      reachable: isReachable(view),
      decider: new Decider(deciderSpec(config, isReachable(view), this.options.rates), { readyPodsAtCreate: view.pods.length, nowMs: now }),
      collection: new MetricCollection(config.stableWindowSec, panicWindowSec(config)),
      scaler: new TargetScaler({ isNew, ...(this.options.gracePeriodSec === undefined ? {} : { gracePeriodSec: this.options.gracePeriodSec }) }),
      labels,
      firstSeenMs: new Map(),
      scraping: false,
      observed: undefined,
      decision: undefined,
      desiredReplicas: undefined,
      actuating: false,
      requested: undefined,
      errorLog: { lastMs: -Infinity, suppressed: 0 },
    };
    for (const p of view.pods) state.firstSeenMs.set(p.key, now);
    this.targets.set(view.key, state);
    this.reportProblems(state);
    this.options.logger.info({ target: view.key, config, readyPods: view.pods.length, isNew }, 'target added');
  }

  private update(state: TargetState, view: TargetView, now: number): void {
    state.view = view;
    const live = new Set(view.pods.map((p) => p.key));
    for (const key of state.firstSeenMs.keys()) if (!live.has(key)) state.firstSeenMs.delete(key);
    for (const p of view.pods) if (!state.firstSeenMs.has(p.key)) state.firstSeenMs.set(p.key, now);
    const key = inputKey(view);
    if (key === state.inputKey) return;
    state.inputKey = key;
    const { config, problems } = this.parse(view);
    const reachable = isReachable(view);
    const sameConfig = JSON.stringify(config) === JSON.stringify(state.config) && JSON.stringify(problems) === JSON.stringify(state.problems);
    if (sameConfig && reachable === state.reachable) return;
    const windowsChanged = config.stableWindowSec !== state.config.stableWindowSec || panicWindowSec(config) !== state.collection.panicWindowSec;
    if (windowsChanged) state.collection = new MetricCollection(config.stableWindowSec, panicWindowSec(config));
    state.decider.update(deciderSpec(config, reachable, this.options.rates));
    state.config = config;
    state.reachable = reachable;
    state.problems = problems;
    this.reportProblems(state);
    this.options.logger.info({ target: view.key, config, reachable, windowsChanged }, 'target reconfigured');
  }

  private parse(view: TargetView): { config: AutoscalingConfig; problems: AnnotationProblem[] } {
    return parseAutoscalingAnnotations(view.annotations, {
      containerConcurrency: view.containerConcurrency,
      allowZeroInitialScale: this.options.allowZeroInitialScale === true,
    });
  }

  private reportProblems(state: TargetState): void {
    for (const p of state.problems) {
      this.options.logger.warn({ target: state.view.key, annotation: p.annotation, value: p.value, reason: p.reason }, 'bad autoscaling annotation; using its default');
    }
  }

  private async scrapeTarget(t: TargetState, now: number): Promise<void> {
    const pods = t.view.pods;
    if (t.scraping || pods.length === 0) return;
    t.scraping = true;
    const end = this.options.metrics.scrapeDuration.startTimer();
    try {
      const candidates = pods.map((p) => ({ pod: p, createdMs: p.createdMs ?? t.firstSeenMs.get(p.key) ?? now }));
      const order = scrapeOrder(candidates, now, t.config.stableWindowSec, this.random).map((c) => c.pod);
      const stats = await this.sample(t, order, sampleSize(pods.length));
      const total = scaleSamples(stats, pods.length);
      if (total !== undefined) t.collection.record(now, total);
    } finally {
      end();
      t.scraping = false;
    }
  }

  /** Knative's scrapePods: `size` workers walk the ordered pods; a failed pod is skipped and the next one tried. */
  private async sample(t: TargetState, order: ReadyPod[], size: number): Promise<PodStat[]> {
    const stats: PodStat[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < order.length) {
        const pod = order[next++] as ReadyPod;
        const release = await this.slots.acquire();
        try {
          stats.push(await this.options.scrape(pod.url));
          return;
        } catch (err) {
          this.scrapeFailed(t, pod, err);
        } finally {
          release();
        }
      }
    };
    await Promise.all(Array.from({ length: size }, worker));
    return stats;
  }

  private scrapeFailed(t: TargetState, pod: ReadyPod, err: unknown): void {
    const code = err instanceof AutoscalerError ? err.code : 'SCRAPE_CONNECT';
    this.options.metrics.scrapeErrors.inc({ ...t.labels, code });
    const now = this.clock();
    if (now - t.errorLog.lastMs < SCRAPE_ERROR_LOG_INTERVAL_MS) {
      t.errorLog.suppressed++;
      return;
    }
    const reason = err instanceof Error ? err.message : String(err);
    this.options.logger.warn({ target: t.view.key, pod: pod.key, code, reason, suppressed: t.errorLog.suppressed }, 'scrape failed; pod skipped');
    t.errorLog = { lastMs: now, suppressed: 0 };
  }

  private decide(t: TargetState, now: number): void {
    const ready = t.view.pods.length;
    t.observed = t.collection.observed(now, t.config.metric);
    t.decision = t.decider.scale(now, ready, t.observed);
    t.desiredReplicas = t.scaler.desiredReplicas({ nowMs: now, decision: t.decision, config: t.config, currentReplicas: t.view.replicas, readyPods: ready });
    this.actuate(t, now);
  }

  private *figures(): Iterable<TargetFigures> {
    for (const t of this.targets.values()) {
      const spec = t.decider.currentSpec;
      yield {
        labels: t.labels,
        metric: spec.scalingMetric,
        desiredPods: t.desiredReplicas,
        requestedPods: t.requested?.replicas,
        readyPods: t.view.pods.length,
        panicking: t.decider.panicking,
        stable: t.observed?.stable,
        panic: t.observed?.panic,
        targetPerPod: spec.targetValue,
        excessBurstCapacity: t.decision?.scaleValid === true ? t.decision.excessBurstCapacity : undefined,
        annotationProblems: t.problems.length,
      };
    }
  }

  private forgetScrapeErrors(labels: TargetLabels): void {
    for (const code of ['SCRAPE_TIMEOUT', 'SCRAPE_CONNECT', 'SCRAPE_HTTP_STATUS', 'SCRAPE_BAD_BODY']) this.options.metrics.scrapeErrors.remove({ ...labels, code });
  }

  private actuate(t: TargetState, now: number): void {
    const want = t.desiredReplicas;
    if (this.closed || want === undefined || want === t.view.replicas || t.actuating || !this.options.isLeader()) return;
    if (t.requested?.replicas === want && now - t.requested.atMs < ACTUATION_RETRY_MS) return;
    t.actuating = true;
    t.requested = { replicas: want, atMs: now };
    const { namespace, name } = t.view;
    const from = t.view.replicas;
    const work = this.options.actuator
      .scale(namespace, name, want)
      .then(
        () => {
          this.options.metrics.actuations.inc({ result: 'ok' });
          this.options.logger.info({ target: t.view.key, from, to: want, panicking: t.decider.panicking }, 'scaled');
        },
        (err: unknown) => {
          t.requested = undefined;
          this.options.metrics.actuations.inc({ result: 'error' });
          this.options.logger.error({ target: t.view.key, to: want, err }, 'scale request failed');
        },
      )
      .finally(() => {
        t.actuating = false;
        this.pending.delete(work);
      });
    this.pending.add(work);
  }
}

function inputKey(view: TargetView): string {
  return JSON.stringify([view.annotations, view.containerConcurrency, isReachable(view)]);
}

/**
 * Knative marks a revision unreachable when no route sends it traffic; here, when no Service selects the
 * Deployment's pods. An unreachable target scales down without the max-scale-down rate or the scale-down delay.
 */
function isReachable(view: TargetView): boolean {
  return view.services.length > 0;
}

function deciderSpec(config: AutoscalingConfig, reachable: boolean, rates: ScaleRates | undefined): DeciderSpec {
  return { ...toDeciderSpec(config, rates), reachable };
}

/** A counting semaphore (FIFO) bounding concurrent scrapes. */
class Semaphore {
  private free: number;
  private readonly waiters: (() => void)[] = [];

  constructor(size: number) {
    this.free = size;
  }

  async acquire(): Promise<() => void> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiters.push(resolve));
    return () => {
      const next = this.waiters.shift();
      if (next === undefined) this.free++;
      else next();
    };
  }
}
