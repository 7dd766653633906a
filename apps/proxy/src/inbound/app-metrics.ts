import type { Exchange, Middleware } from './exchange';
import type { InboundMetrics } from './inbound-metrics';

/** Records requests as the app sees them: from admission by the breaker to the end of the response. */
export function appMetrics(metrics: InboundMetrics, now: () => number): Middleware {
  const record = (ex: Exchange): void => metrics.recordAppRequest(ex.finalStatus, (now() - ex.admittedMs) / 1000);
  return (next) => (ex) => {
    ex.admittedMs = now();
    ex.onEnd(record);
    next(ex);
  };
}
