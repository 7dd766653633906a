import type { Exchange, Middleware } from './exchange';
import type { InboundMetrics } from './inbound-metrics';

/** Records every non-probe request with its final status and total time, queueing included. */
export function requestMetrics(metrics: InboundMetrics, now: () => number): Middleware {
  const record = (ex: Exchange): void => metrics.recordRequest(ex.finalStatus, (now() - ex.startMs) / 1000);
  return (next) => (ex) => {
    ex.onEnd(record);
    next(ex);
  };
}
