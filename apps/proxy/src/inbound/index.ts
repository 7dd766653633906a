import type { Server as NetServer } from 'node:net';
import type { Registry } from 'prom-client';
import type { MeshTls } from '../identity/mesh-tls';
import { startAdminServer, type AdminRoute, type AdminRoutes } from '../admin/admin-server';
import { filtersRoute } from '../admin/filters-route';
import { Http1Pool } from '../http1/pool';
import { QUEUE_DEPTH_PER_CONCURRENCY, type InboundConfig } from '../config/inbound-config';
import { HAND_OFF_GRACE_MS, listen, stopListening } from '../listen';
import type { Logger } from '../logger';
import type { OverloadGuard } from '../process/overload-manager';
import { RequestStats } from '../stats/request-stats';
import { StatsReporter } from '../stats/stats-reporter';
import { createStatsRegistry, startStatsServer } from '../stats/stats-server';
import { Breaker } from './breaker';
import { FORWARD, inboundChain, inboundFilters } from './chain';
import { Drain, MAX_DRAIN_MS } from './drain';
import type { Exchange } from './exchange';
import { AppHttp2Client } from './forward';
import { Http1Exchange } from './http1-exchange';
import { Http2Exchange } from './http2-exchange';
import { InboundMetrics } from './inbound-metrics';
import { InboundServers, type Http1Listener, type StreamListener } from './listeners';
import { inboundMeshTls } from './mesh-tls-metrics';
import { PolicyMetrics } from './policy-metrics';
import { InboundPolicyStore } from './policy-store';
import { inboundPolicyClient, watchInboundPolicy } from './policy-watch';
import { KNATIVE_PROBER_TIMING, ReadinessProber, type ProberTiming } from './readiness-prober';
import { createTracing } from './tracing';

/** Extra time after the revision timeout before connections still open at shutdown are cut. */
export const DRAIN_GRACE_MS = 1_000;
/** undici's default idle keep-alive, which the app pool used before: below Node's 5 s server keep-alive. */
export const APP_KEEP_ALIVE_MS = 4_000;
/** undici's default connect timeout, which the app pool used before. */
export const APP_CONNECT_TIMEOUT_MS = 10_000;

export interface InboundPorts {
  readonly http: number;
  readonly h2c: number;
  readonly admin: number;
  readonly stats: number;
}

export interface Inbound {
  readonly ports: InboundPorts;
  /** The chain's filters in the order they run, the forward to the app last. */
  readonly filters: readonly string[];
  readonly drain: Drain;
  readonly reporter: StatsReporter;
  /** The data-plane listeners (HTTP/1.1 + h2c, h2c), for the overload manager's connection guard. */
  readonly listeners: readonly NetServer[];
  /**
   * Hot restart: another process took the listening sockets. Stops listening now, answers the next request
   * on every connection with `connection: close` (HTTP/2: GOAWAY), waits for the requests in flight and
   * the connections to end (at most HAND_OFF_GRACE_MS), then `close()`. No quiet period: the new
   * generation is serving already. Idempotent.
   */
  handOff(): Promise<void>;
  /**
   * Knative's queue-proxy on SIGTERM: draining at once (probes answer 503), but new connections and requests are
   * still accepted and served until none has arrived for the drain quiet period (at most MAX_DRAIN_MS), because
   * callers keep sending until the endpoint's removal reaches them. Then `close()`. Idempotent.
   */
  terminate(): Promise<void>;
  /**
   * Stops now, cutting a drain short: probes fail, listeners stop, in-flight requests finish (bounded by the
   * revision timeout). Idempotent.
   */
  close(): Promise<void>;
}

export interface InboundOptions {
  readonly config: InboundConfig;
  readonly registry: Registry;
  readonly logger: Logger;
  readonly probeTiming?: ProberTiming;
  readonly writeLine?: (line: string) => void;
  /** This proxy's identity for mutual TLS from other proxies; undefined when identity is off. */
  readonly meshTls?: MeshTls;
  /** The overload manager's shedding; undefined: never shed. */
  readonly overload?: OverloadGuard;
  /** More admin paths (introspection). */
  readonly adminRoutes?: AdminRoutes;
  /** False in a supervised worker: the supervisor serves the admin and stats ports for every worker. */
  readonly standalone?: boolean;
}

/** Counts requests in flight so shutdown can wait for the last one. */
class InFlight {
  private count = 0;
  private waiters: Array<() => void> = [];
  readonly end = (): void => {
    this.count--;
    if (this.count === 0) for (const waiter of this.waiters.splice(0)) waiter();
  };

  begin(): void {
    this.count++;
  }

  idle(): Promise<void> {
    return this.count === 0 ? Promise.resolve() : new Promise((resolve) => this.waiters.push(resolve));
  }
}

/** The admin routes plus `GET /filters`: the inbound filters in the order they run, as JSON. */
function withFiltersRoute(routes: AdminRoutes | undefined, filters: readonly string[]): AdminRoutes {
  return new Map<string, AdminRoute>([...(routes ?? []), ['/filters', filtersRoute(() => filters)]]);
}

export async function startInbound(options: InboundOptions): Promise<Inbound> {
  const { config, registry, logger } = options;
  const now = () => performance.now();
  const drain = new Drain(config.drainQuietPeriodMs, now);
  const prober = new ReadinessProber(config.readinessProbe, options.probeTiming ?? KNATIVE_PROBER_TIMING);
  const probeApp = () => prober.probe();
  const requestStats = new RequestStats(now());
  const reporter = new StatsReporter(requestStats, config.pod, now);
  const cc = config.containerConcurrency;
  const breaker = cc > 0 ? new Breaker<Exchange>(cc, QUEUE_DEPTH_PER_CONCURRENCY * cc) : undefined;
  const labels = { namespace: config.namespace, configuration: config.configuration, revision: config.revision, pod: config.pod };
  const metrics = new InboundMetrics(registry, labels, () => breaker?.queued ?? 0);
  const origin = `http://${config.appHost.includes(':') ? `[${config.appHost}]` : config.appHost}:${config.userPort}`;
  // No read timeout: the revision timeouts of the chain bound every request. Without a concurrency limit, the
  // connections to the app follow the requests in flight.
  const pool = new Http1Pool(config.appHost, config.userPort, {
    maxConnections: cc > 0 ? cc : Number.POSITIVE_INFINITY,
    keepAliveMs: APP_KEEP_ALIVE_MS,
    connectTimeoutMs: APP_CONNECT_TIMEOUT_MS,
  });
  const http2 = new AppHttp2Client(origin);
  const tracing = createTracing(config.tracing, config.revision || 'trellis-proxy');
  const policyMetrics = new PolicyMetrics(registry, `${config.podIp || config.host}:${config.userPort}`);
  const policy = new InboundPolicyStore(config.policy.fallback, { now }, logger, policyMetrics);
  // The policy of the app's port governs both inbound listeners: they serve the same app port.
  const policyWatch =
    config.policy.addr === undefined
      ? undefined
      : watchInboundPolicy({
          api: inboundPolicyClient(config.policy.addr),
          workload: config.policy.workload,
          port: config.userPort,
          onServer: (server) => policy.applyServer(server),
          onReconnect: () => policyMetrics.policyStreamReconnect(),
          logger,
          random: Math.random,
        });
  const chainDeps = {
    config,
    logger,
    tracer: tracing?.tracer,
    drain,
    probeApp,
    metrics,
    requestStats,
    breaker,
    pool,
    http2,
    now,
    writeLine: options.writeLine ?? ((line) => process.stdout.write(line)),
    overload: options.overload,
    policy,
    policyMetrics,
  };
  const namedFilters = inboundFilters(chainDeps);
  const chain = inboundChain(chainDeps, namedFilters);
  const filters = [...namedFilters.map((f) => f.name), FORWARD];
  logger.info(
    { filters, policy: { server: config.policy.fallback.server.name, source: config.policy.addr ?? 'static', audit: config.policy.audit } },
    'inbound filters',
  );
  const inFlight = new InFlight();
  const run = (ex: Exchange): void => {
    inFlight.begin();
    ex.onEnd(inFlight.end);
    try {
      chain(ex);
    } catch (err) {
      logger.error({ err }, 'inbound handler failed');
      ex.fail(err as Error);
    }
  };
  const onRequest: Http1Listener = (req, res) => {
    if (drain.draining) res.setHeader('connection', 'close');
    run(new Http1Exchange(req, res, now()));
  };
  const onStream: StreamListener = (stream, headers) => run(new Http2Exchange(stream, headers, now()));
  const servers = new InboundServers(onRequest, onStream, options.meshTls && inboundMeshTls(options.meshTls, registry));
  const httpListener = servers.createDetectingListener();
  const h2cListener = servers.createHttp2Listener();
  const http = await listen(httpListener, config.httpPort, config.host);
  const h2c = await listen(h2cListener, config.h2cPort, config.host);
  const standalone = options.standalone ?? true;
  const admin = standalone
    ? await startAdminServer({ drain, probeApp, host: config.host, port: config.adminPort, routes: withFiltersRoute(options.adminRoutes, filters) })
    : undefined;
  const statsServer = standalone
    ? await startStatsServer({ reporter, registry: createStatsRegistry(reporter, labels), host: config.host, port: config.statsPort, logger })
    : undefined;
  reporter.start();

  const shutdown = async (): Promise<void> => {
    drain.start();
    const stopped = Promise.all([stopListening(httpListener), stopListening(h2cListener)]);
    servers.drain();
    const deadline = new Promise<'deadline'>((resolve) => setTimeout(resolve, config.revisionTimeoutMs + DRAIN_GRACE_MS, 'deadline').unref());
    const outcome = await Promise.race([inFlight.idle().then(() => 'idle' as const), deadline]);
    if (outcome === 'deadline') logger.warn('drain deadline passed with requests still in flight; cutting them');
    servers.drain();
    servers.destroy();
    await stopped;
    reporter.close();
    policyWatch?.close();
    http2.close();
    await Promise.all([pool.close(), admin?.close(), statsServer?.close(), tracing?.close()]);
  };
  let closing: Promise<void> | undefined;
  // close() during a drain cuts it short (a second signal): the drain's wait ends and the close goes on at once.
  let cutDrain: () => void = () => undefined;
  const drainCut = new Promise<'cut'>((resolve) => (cutDrain = () => resolve('cut')));
  const close = () => {
    cutDrain();
    return (closing ??= shutdown());
  };
  const drainThenClose = async (): Promise<void> => {
    const since = now();
    const outcome = await Promise.race([drain.waitForDrainWithin(MAX_DRAIN_MS), drainCut]);
    const drainMs = Math.round(now() - since);
    if (outcome === 'deadline') logger.warn({ drainMs }, 'requests still arriving at the drain deadline; closing anyway');
    else if (outcome === 'quiet') logger.info({ drainMs }, 'no request for the quiet period; closing');
    await close();
  };
  const handOffThenClose = async (): Promise<void> => {
    drain.start();
    const stopped = Promise.all([stopListening(httpListener), stopListening(h2cListener)]);
    servers.handOff();
    const grace = new Promise<void>((resolve) => setTimeout(resolve, HAND_OFF_GRACE_MS).unref());
    await Promise.race([stopped, grace]);
    await close();
  };
  let terminating: Promise<void> | undefined;
  let handingOff: Promise<void> | undefined;
  return {
    ports: { http, h2c, admin: admin?.port ?? 0, stats: statsServer?.port ?? 0 },
    filters,
    drain,
    reporter,
    listeners: [httpListener, h2cListener],
    terminate: () => (terminating ??= drainThenClose()),
    handOff: () => (handingOff ??= handOffThenClose()),
    close,
  };
}
