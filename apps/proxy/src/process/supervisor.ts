import cluster, { type Worker } from 'node:cluster';
import { ExponentialBackoff } from '@trellis/balance';
import type { Stat } from '@trellis/proto';
import { AggregatorRegistry } from 'prom-client';
import { startAdminServer, type AdminRoutes } from '../admin/admin-server';
import { filtersRoute } from '../admin/filters-route';
import { hotRestartRoute } from '../admin/hot-restart-route';
import { introspectionRoutes, type ProcessView, type WorkerSnapshot, type WorkerView } from '../admin/introspection';
import type { InboundConfig } from '../config/inbound-config';
import { KNATIVE_PROBER_TIMING, ReadinessProber } from '../inbound/readiness-prober';
import type { Logger } from '../logger';
import { createMetricsRegistry, startMetricsServer } from '../metrics-server';
import { sumStats } from '../stats/aggregate-stat';
import { createStatsRegistry, startStatsServer } from '../stats/stats-server';
import { isWorkerMessage, Questions, type MetricsJson, type MetricsSnapshot, type WorkerMessage } from './ipc';
import { supervisorMetrics } from './supervisor-metrics';

/** Ours: a crashed worker is started again after 100 ms, doubling up to 10 s... */
export const WORKER_RESTART_MIN_MS = 100;
export const WORKER_RESTART_MAX_MS = 10_000;
/** ...and a worker that had served this long before it crashed starts the backoff over. */
export const WORKER_STABLE_MS = 10_000;
/** Ours: a new generation that is not serving within this time is abandoned (the old one keeps serving). */
export const GENERATION_START_TIMEOUT_MS = 60_000;
/** Ours: a retired worker still running after this long is killed (its hand-off is bounded at 10 s). */
export const RETIRE_TIMEOUT_MS = 30_000;
/** Ours: how long a scrape or an introspection page waits for each worker's answer. */
export const ASK_TIMEOUT_MS = 2_000;

type WorkerState = 'starting' | 'serving' | 'retiring';

interface Member {
  readonly worker: Worker;
  readonly generation: number;
  readonly slot: number;
  state: WorkerState;
  startedMs: number;
  stat: Stat | undefined;
  ports: Extract<WorkerMessage, { trellis: 'ready' }>['ports'] | undefined;
  filters: readonly string[] | undefined;
  /** The newest metrics received from it (periodic, a scrape's answer, or its hand-over). */
  metrics: MetricsSnapshot | undefined;
}

export interface SupervisorOptions {
  readonly config: InboundConfig;
  readonly workers: number;
  readonly logger: Logger;
  /** The effective settings, redacted, for /config_dump. */
  readonly effectiveConfig: unknown;
}

export interface Supervisor {
  /** Starts the next generation, waits until it serves, then retires the previous one. Resolves with the new generation. */
  hotRestart(): Promise<number>;
  /** Drains every worker as on SIGTERM, then closes the supervisor's servers. A second call cuts the drains short. */
  stop(): Promise<void>;
}

/** Counters and histograms of departed workers carry on (summed); their gauges end with them. */
function lasting(metrics: MetricsJson): MetricsJson {
  return metrics.filter((m) => String(m.type) === 'counter' || String(m.type) === 'histogram');
}

/**
 * The supervisor (TRELLIS_PROXY_WORKERS): a small primary process that does no proxying. Through node:cluster
 * it holds the listening sockets, which the workers of every generation share (connections are handed to a
 * worker over IPC, SCM_RIGHTS); it serves the admin, stats and metrics ports for the pod as a whole.
 *
 * Generations: generation 1 starts with the supervisor. A hot restart (SIGHUP, POST /hot-restart) forks
 * generation n+1 beside n; once every new worker serves, the old ones are told to retire: they stop taking
 * connections (the sockets stay open in the supervisor, so no connection is refused), finish their requests
 * and exit, sending their counters first so the pod's totals carry on. A worker that exits unasked is started
 * again in its slot, after an exponential backoff.
 *
 * Counters never go back: the supervisor keeps each worker's newest metrics (sent every COUNTERS_INTERVAL_MS,
 * answered to each scrape, and sent last at a hand-over) and, once the worker's IPC channel has closed (every
 * message it sent has then been handled), folds their counters and histograms into the `departed` base that
 * every scrape adds. A worker is in exactly one place: `unfolded` (its newest snapshot, or its live answer) or
 * the base.
 */
export async function startSupervisor(options: SupervisorOptions): Promise<Supervisor> {
  const { config, logger } = options;
  const registry = createMetricsRegistry();
  const members = new Map<number, Member>();
  const questions = new Questions();
  const backoffs = new Map<number, ExponentialBackoff>();
  let departed: MetricsJson = [];
  /** Workers whose counters are not in `departed` yet: every live one, and a dead one until it is folded. */
  const unfolded = new Set<Member>();
  /** Departed workers' counters are folded one at a time. */
  let folding: Promise<void> = Promise.resolve();
  let generation = 0;
  let restarting: Promise<number> | undefined;
  let stopping = false;
  let draining = false;
  const startedMs = performance.now();
  const waitingForServing = new Map<Worker, { resolve: () => void; reject: (err: Error) => void }>();

  const metrics = supervisorMetrics(registry, {
    generation: () => generation,
    workers: () => {
      const counts = new Map<string, number>([['starting', 0], ['serving', 0], ['retiring', 0]]);
      for (const m of members.values()) counts.set(m.state, (counts.get(m.state) ?? 0) + 1);
      return counts;
    },
  });

  cluster.schedulingPolicy = cluster.SCHED_RR;
  cluster.setupPrimary({ exec: process.argv[1], args: [], silent: false });

  const fork = (gen: number, slot: number): Member => {
    const worker = cluster.fork({ TRELLIS_PROXY_GENERATION: String(gen) });
    const member: Member = {
      worker,
      generation: gen,
      slot,
      state: 'starting',
      startedMs: performance.now(),
      stat: undefined,
      ports: undefined,
      filters: undefined,
      metrics: undefined,
    };
    members.set(worker.id, member);
    unfolded.add(member);
    worker.on('message', (message: unknown) => {
      if (isWorkerMessage(message)) onMessage(member, message);
    });
    worker.on('exit', (code, signal) => onExit(member, code, signal));
    // The channel closes after the last message the worker sent has been handled (Node emits in order).
    worker.process.once('disconnect', () => fold(member));
    return member;
  };

  const keepNewest = (member: Member, snapshot: MetricsSnapshot): void => {
    if (member.metrics === undefined || snapshot.seq > member.metrics.seq) member.metrics = snapshot;
  };

  const fold = (member: Member): void => {
    folding = folding
      .then(async () => {
        const last = member.metrics;
        if (last !== undefined) departed = lasting((await AggregatorRegistry.aggregate([departed, lasting(last.metrics)]).getMetricsAsJSON()) as MetricsJson);
        unfolded.delete(member);
      })
      .catch((err: unknown) => logger.error({ err }, "cannot fold a departed worker's counters; they stay counted as its last snapshot"));
  };

  const onMessage = (member: Member, message: WorkerMessage): void => {
    switch (message.trellis) {
      case 'ready':
        member.state = 'serving';
        member.ports = message.ports;
        member.filters = message.filters;
        member.startedMs = performance.now();
        waitingForServing.get(member.worker)?.resolve();
        return;
      case 'answer':
        questions.answered(message.id, message.value);
        return;
      case 'stat':
        member.stat = message.stat;
        return;
      case 'counters':
      case 'retired':
        keepNewest(member, message.snapshot);
    }
  };

  const onExit = (member: Member, code: number | null, signal: string | null): void => {
    members.delete(member.worker.id);
    questions.forget(member.worker);
    // A worker of a generation being started fails that start (startGeneration decides); any other is replaced.
    const starting = waitingForServing.get(member.worker);
    starting?.reject(new Error(`worker ${member.worker.process.pid} exited (${signal ?? code}) before serving`));
    if (starting !== undefined || member.state === 'retiring' || stopping || member.generation !== generation) return;
    logger.error({ pid: member.worker.process.pid, code, signal, generation: member.generation }, 'worker exited unasked; starting another');
    const backoff = backoffs.get(member.slot) ?? new ExponentialBackoff({ random: Math.random, minMs: WORKER_RESTART_MIN_MS, maxMs: WORKER_RESTART_MAX_MS });
    backoffs.set(member.slot, backoff);
    if (performance.now() - member.startedMs >= WORKER_STABLE_MS) backoff.reset();
    const delayMs = backoff.next();
    metrics.workerRestart();
    setTimeout(() => {
      if (!stopping && member.generation === generation) fork(generation, member.slot);
    }, delayMs).unref();
  };

  /** Forks a generation and resolves once every worker of it serves; on failure, its workers are stopped. */
  const startGeneration = async (gen: number): Promise<void> => {
    const started = Array.from({ length: options.workers }, (_, slot) => fork(gen, slot));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`generation ${gen} did not serve within ${GENERATION_START_TIMEOUT_MS} ms`)), GENERATION_START_TIMEOUT_MS);
    });
    const serving = started.map((m) => new Promise<void>((resolve, reject) => waitingForServing.set(m.worker, { resolve, reject })));
    try {
      await Promise.race([Promise.all(serving), timeout]);
    } catch (err) {
      for (const m of started) {
        if (m.state === 'serving') retire(m);
        else {
          m.state = 'retiring';
          m.worker.process.kill('SIGKILL');
        }
      }
      throw err;
    } finally {
      clearTimeout(timer);
      for (const m of started) waitingForServing.delete(m.worker);
    }
  };

  const retire = (member: Member): void => {
    // Its Stat still counts until it exits: the requests it finishes are the pod's load too.
    const wasStarting = member.state === 'starting';
    member.state = 'retiring';
    // A worker still starting listens to no message yet: SIGTERM (its default, or its drain once it serves).
    if (wasStarting) member.worker.process.kill('SIGTERM');
    else if (member.worker.isConnected()) member.worker.send({ trellis: 'retire' });
    setTimeout(() => {
      if (members.has(member.worker.id)) member.worker.process.kill('SIGKILL');
    }, RETIRE_TIMEOUT_MS).unref();
  };

  const hotRestart = (): Promise<number> =>
    (restarting ??= (async () => {
      const next = generation + 1;
      logger.info({ generation: next }, 'hot restart: starting the next generation');
      try {
        await startGeneration(next);
      } catch (err) {
        metrics.hotRestart('failure');
        logger.error({ err, generation: next }, 'hot restart failed; the running generation keeps serving');
        throw err;
      }
      generation = next;
      // Read now: a worker of the old generation replaced during the start belongs to it too.
      const previous = [...members.values()].filter((m) => m.generation < next);
      for (const m of previous) retire(m);
      metrics.hotRestart('success');
      logger.info({ generation: next, retiring: previous.length }, 'hot restart: the next generation serves; the previous one drains');
      return next;
    })().finally(() => (restarting = undefined)));

  const live = () => [...members.values()].filter((m) => m.state !== 'starting');
  const view = (m: Member): WorkerView => ({ id: m.worker.id, pid: m.worker.process.pid ?? 0, generation: m.generation, state: m.state });
  const processView = (): ProcessView => ({ mode: 'supervised', generation, workers: [...members.values()].map(view) });

  /**
   * Each live worker's answer (gauges and all); a worker that did not answer in time, or that has died and is
   * not folded yet, counts with its newest snapshot's counters, so that no total drops for a scrape.
   */
  const metricsText = async (): Promise<string> => {
    const own = await registry.getMetricsAsJSON();
    const answered = new Map<Member, MetricsJson>();
    await Promise.all(
      live().map(async (m) => {
        const answer = (await questions.ask(m.worker, 'metrics', ASK_TIMEOUT_MS)) as MetricsSnapshot | undefined;
        if (answer === undefined || !Array.isArray(answer.metrics)) return;
        keepNewest(m, answer);
        answered.set(m, answer.metrics);
      }),
    );
    const workers = [...unfolded].map((m) => answered.get(m) ?? lasting(m.metrics?.metrics ?? []));
    return AggregatorRegistry.aggregate([own, departed, ...workers]).metrics();
  };
  const aggregated = {
    contentType: registry.contentType,
    metrics: metricsText,
  };
  const stat = {
    get latest(): Stat {
      const stats = [...members.values()].flatMap((m) => (m.stat === undefined ? [] : [m.stat]));
      return sumStats(stats, { podName: config.pod, uptimeSeconds: (performance.now() - startedMs) / 1000, unixSeconds: Date.now() / 1000 });
    },
  };

  const prober = new ReadinessProber(config.readinessProbe, KNATIVE_PROBER_TIMING);
  const serving = () => [...members.values()].some((m) => m.state === 'serving' && m.generation === generation);
  const drain = {
    get draining() {
      return draining;
    },
    waitForDrain: async () => {
      draining = true;
      await Promise.all(live().map((m) => questions.ask(m.worker, 'wait-for-drain', Number.POSITIVE_INFINITY)));
    },
  };
  const introspection = introspectionRoutes({
    config: () => options.effectiveConfig,
    process: processView,
    snapshots: () =>
      Promise.all(
        live().map(async (m) => ({ ...view(m), snapshot: (await questions.ask(m.worker, 'snapshot', ASK_TIMEOUT_MS)) as WorkerSnapshot | undefined })),
      ),
  });
  const filters = () =>
    ([...members.values()].find((m) => m.state === 'serving' && m.generation === generation) ?? [...members.values()].find((m) => m.filters !== undefined))
      ?.filters;
  const routes: AdminRoutes = new Map([
    ...introspection,
    ['/filters', filtersRoute(filters)],
    ['/hot-restart', hotRestartRoute({ accepting: () => !stopping && !draining, hotRestart })],
  ]);

  generation = 1;
  try {
    await startGeneration(1);
  } catch (err) {
    throw new Error(`the workers did not start: ${(err as Error).message}`, { cause: err });
  }
  const admin = await startAdminServer({
    drain,
    probeApp: async () => serving() && (await prober.probe()),
    host: config.host,
    port: config.adminPort,
    routes,
  });
  const statsServer = await startStatsServer({
    reporter: stat,
    registry: createStatsRegistry(stat, { namespace: config.namespace, configuration: config.configuration, revision: config.revision, pod: config.pod }),
    host: config.host,
    port: config.statsPort,
    logger,
  });
  const metricsServer = await startMetricsServer({ registry: aggregated, host: config.host, port: config.metricsPort, logger });
  const ports = [...members.values()].find((m) => m.state === 'serving')?.ports;
  logger.info(
    {
      event: 'listening',
      host: config.host,
      workers: options.workers,
      ports: { http: ports?.http, h2c: ports?.h2c, admin: admin.port, stats: statsServer.port, metrics: metricsServer.port },
      outbound: ports?.outbound,
    },
    'listening',
  );

  let stopped: Promise<void> | undefined;
  const exited = () =>
    new Promise<void>((resolve) => {
      const check = () => (members.size === 0 ? resolve() : setTimeout(check, 50).unref());
      check();
    });
  return {
    hotRestart,
    stop: () => {
      draining = true;
      if (stopped !== undefined) {
        // A second signal: the workers cut their drains short.
        for (const m of members.values()) m.worker.process.kill('SIGTERM');
        return stopped;
      }
      stopping = true;
      // A worker still starting listens to no message yet; its default SIGTERM ends it.
      for (const m of members.values()) {
        if (m.state === 'starting') m.worker.process.kill('SIGTERM');
        else if (m.worker.isConnected()) m.worker.send({ trellis: 'terminate' });
      }
      stopped = exited().then(() => Promise.all([admin.close(), statsServer.close(), metricsServer.close()]).then(() => undefined));
      return stopped;
    },
  };
}
