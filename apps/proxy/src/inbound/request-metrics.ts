import type { InboundMetrics } from './inbound-metrics';
import type { Middleware } from './exchange';

/** Records every non-probe request with its final status and total time, queueing included. */
export function requestMetrics(metrics: InboundMetrics, now: () => number): Middleware {
  return (next) => (ex) => {
    ex.onEnd(() => {
      const status = ex.finalStatus;
      metrics.recordRequest(status, (now() - ex.startMs) / 1000);
    });
    next(ex);
  };
}
