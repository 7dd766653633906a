import type { Tracer } from '@opentelemetry/api';
import type { Http1Pool } from '../http1/pool';
import type { InboundConfig } from '../config/inbound-config';
import type { Logger } from '../logger';
import type { OverloadGuard } from '../process/overload-manager';
import type { RequestStats } from '../stats/request-stats';
import { accessLog } from './access-log';
import { appMetrics } from './app-metrics';
import { authorization } from './authorization';
import type { Breaker } from './breaker';
import { breakerHandler } from './breaker-handler';
import { clientIdentity } from './client-identity';
import type { Drain } from './drain';
import { compose, type Exchange, type Handler, type Middleware } from './exchange';
import { forward, type AppHttp2Client } from './forward';
import { forwarded } from './forwarded';
import { health } from './health';
import type { InboundMetrics } from './inbound-metrics';
import { overload } from './overload';
import type { PolicyMetrics } from './policy-metrics';
import type { PolicyState } from './policy-store';
import { rateLimit } from './rate-limit';
import { requestLog } from './request-log';
import { requestMetrics } from './request-metrics';
import { stats } from './stats';
import { timeouts } from './timeouts';
import { tracing } from './tracing';

export interface ChainDeps {
  readonly config: InboundConfig;
  readonly logger: Logger;
  readonly tracer: Tracer | undefined;
  readonly drain: Drain;
  readonly probeApp: () => Promise<boolean>;
  readonly metrics: InboundMetrics;
  readonly requestStats: RequestStats;
  /** Undefined when CONTAINER_CONCURRENCY is 0 (no breaker). */
  readonly breaker: Breaker<Exchange> | undefined;
  readonly pool: Http1Pool;
  readonly http2: AppHttp2Client;
  readonly now: () => number;
  readonly writeLine: (line: string) => void;
  /** The overload manager's shedding; undefined: never shed. */
  readonly overload?: OverloadGuard;
  /** The inbound policy in force (policy-store.ts), read per request. */
  readonly policy: { readonly current: PolicyState };
  readonly policyMetrics: PolicyMetrics;
}

/** A filter of the chain with the name operators see (log line at start, admin `GET /filters`). */
export interface NamedFilter {
  readonly name: string;
  readonly middleware: Middleware;
}

/** The name of the chain's last stage, which sends the request to the app. */
export const FORWARD = 'forward';

/**
 * The inbound (queue-proxy) filters that run, outermost first, built once from validated config:
 * a filter the config turns off is not in the list at all.
 */
export function inboundFilters(deps: ChainDeps): NamedFilter[] {
  const { config, now } = deps;
  const filters: Array<NamedFilter | false> = [
    config.accessLog && {
      name: 'access-log',
      middleware: accessLog({ write: deps.writeLine, now, upstream: `${config.appHost}:${config.userPort}` }),
    },
    config.requestLog.enabled && {
      name: 'request-log',
      middleware: requestLog({
        ...config.requestLog,
        revision: {
          Name: config.revision,
          Namespace: config.namespace,
          Configuration: config.configuration,
          PodName: config.pod,
          PodIP: config.podIp,
        },
        logger: deps.logger,
        write: deps.writeLine,
        now,
      }),
    },
    deps.tracer !== undefined && { name: 'tracing', middleware: tracing(deps.tracer) },
    // Probes are answered before authorization: they never reach the app, and the kubelet has no mesh identity.
    { name: 'health', middleware: health({ drain: deps.drain, probeApp: deps.probeApp }) },
    deps.overload !== undefined && { name: 'overload', middleware: overload(deps.overload) },
    { name: 'request-metrics', middleware: requestMetrics(deps.metrics, now) },
    {
      name: 'authorization',
      middleware: authorization({ policy: deps.policy, metrics: deps.policyMetrics, audit: config.policy.audit, logger: deps.logger }),
    },
    { name: 'rate-limit', middleware: rateLimit({ policy: deps.policy, metrics: deps.policyMetrics }) },
    {
      name: 'timeouts',
      middleware: timeouts({
        overallMs: config.revisionTimeoutMs,
        responseStartMs: config.responseStartTimeoutMs,
        idleMs: config.idleTimeoutMs,
      }),
    },
    { name: 'forwarded', middleware: forwarded() },
    { name: 'client-identity', middleware: clientIdentity() },
    // Stats before the breaker, as in Knative: queued requests are demand the autoscaler must see.
    { name: 'stats', middleware: stats(deps.requestStats, now) },
    deps.breaker !== undefined && { name: 'breaker', middleware: breakerHandler(deps.breaker) },
    { name: 'app-metrics', middleware: appMetrics(deps.metrics, now) },
  ];
  return filters.filter((f): f is NamedFilter => f !== false);
}

/** The inbound (queue-proxy) chain: the filters, outermost first, around the forward to the app. */
export function inboundChain(deps: ChainDeps, filters: readonly NamedFilter[] = inboundFilters(deps)): Handler {
  return compose(
    filters.map((f) => f.middleware),
    forward({ pool: deps.pool, http2: deps.http2, protocol: deps.config.appProtocol }),
  );
}
