import type { Tracer } from '@opentelemetry/api';
import type { Http1Pool } from '../http1/pool';
import type { InboundConfig } from '../config/inbound-config';
import type { Logger } from '../logger';
import type { OverloadGuard } from '../process/overload-manager';
import type { RequestStats } from '../stats/request-stats';
import { appMetrics } from './app-metrics';
import type { Breaker } from './breaker';
import { breakerHandler } from './breaker-handler';
import { clientIdentity } from './client-identity';
import type { Drain } from './drain';
import { compose, type Exchange, type Handler } from './exchange';
import { forward, type AppHttp2Client } from './forward';
import { forwarded } from './forwarded';
import { health } from './health';
import type { InboundMetrics } from './inbound-metrics';
import { overload } from './overload';
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
}

/** The inbound (queue-proxy) chain, outermost first. */
export function inboundChain(deps: ChainDeps): Handler {
  const { config, now } = deps;
  return compose(
    [
      requestLog({
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
      tracing(deps.tracer),
      health({ drain: deps.drain, probeApp: deps.probeApp }),
      ...(deps.overload ? [overload(deps.overload)] : []),
      requestMetrics(deps.metrics, now),
      timeouts({
        overallMs: config.revisionTimeoutMs,
        responseStartMs: config.responseStartTimeoutMs,
        idleMs: config.idleTimeoutMs,
      }),
      forwarded(),
      clientIdentity(),
      // Stats before the breaker, as in Knative: queued requests are demand the autoscaler must see.
      stats(deps.requestStats, now),
      ...(deps.breaker ? [breakerHandler(deps.breaker)] : []),
      appMetrics(deps.metrics, now),
    ],
    forward({ pool: deps.pool, http2: deps.http2, protocol: config.appProtocol }),
  );
}
