import { DashboardState, type DashboardSnapshot, type Round } from './dashboard-state';
import { httpGet } from './http-get';
import { parsePrometheusText } from './prometheus-text';
import { scrapeAll, type MetricSource } from './scrape';

export interface RefresherOptions {
  intervalMs: number;
  /** The proxies to read this round (replicas change between rounds), and what the caller knows of replicas. */
  sources(): Promise<{ sources: MetricSource[]; replicas?: Round['replicas'] }>;
  /** The autoscaler's admin address, for its decisions; undefined when there is none. */
  autoscaler: string | undefined;
  now(): number;
  /** Sources that did not answer in a round. */
  onErrors(errors: readonly string[]): void;
  /**
   * Set: rounds run only while someone asked for the state within this many ms (a control plane does not scrape
   * every proxy for a page nobody has open); the first ask after a pause starts a fresh history.
   * Unset: rounds run from the start until close().
   */
  idleStopMs?: number;
}

export interface DashboardRefresher {
  /** The latest snapshot (undefined before the first round); also counts as someone watching. */
  snapshot(): DashboardSnapshot | undefined;
  /** Resolves after the next completed round (tests wait on it instead of on time). */
  nextRound(): Promise<void>;
  /** Idempotent; a round in flight completes but schedules nothing. */
  close(): void;
}

/**
 * Refreshes a DashboardState every interval: every proxy and the autoscaler scraped once per round, rounds never
 * overlapping. State machine: idle → running (first ask, or at once without idleStopMs) → idle (no ask for
 * idleStopMs) → ... → closed.
 */
export function startDashboardRefresher(options: RefresherOptions): DashboardRefresher {
  let state = new DashboardState();
  let waiters: (() => void)[] = [];
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let closed = false;
  let lastAskedMs = options.now();

  const round = async () => {
    const { sources, replicas } = await options.sources().catch(() => ({ sources: [] as MetricSource[], replicas: undefined }));
    const [scraped, autoscaler] = await Promise.all([
      scrapeAll(sources),
      options.autoscaler === undefined ? undefined : httpGet(options.autoscaler, '/metrics').then((a) => parsePrometheusText(a.body), () => undefined),
    ]);
    if (scraped.errors.length > 0) options.onErrors(scraped.errors);
    state.update({ at: options.now(), scrapes: scraped.scrapes, ...(autoscaler ? { autoscaler } : {}), ...(replicas ? { replicas } : {}) });
    const done = waiters;
    waiters = [];
    for (const w of done) w();
  };
  const idle = () => options.idleStopMs !== undefined && options.now() - lastAskedMs > options.idleStopMs;
  const loop = () => {
    void round().finally(() => {
      if (closed) return;
      if (idle()) running = false;
      else timer = setTimeout(loop, options.intervalMs);
    });
  };
  const wake = () => {
    if (running || closed) return;
    running = true;
    loop();
  };
  if (options.idleStopMs === undefined) wake();

  return {
    snapshot() {
      lastAskedMs = options.now();
      if (!running && !closed) {
        if (state.snapshot() !== undefined) state = new DashboardState();
        wake();
      }
      return state.snapshot();
    },
    nextRound: () => new Promise<void>((resolve) => waiters.push(resolve)),
    close() {
      closed = true;
      clearTimeout(timer);
    },
  };
}
