import type { InboundMetrics } from './inbound-metrics';
import type { Middleware } from './exchange';

/** Records requests as the app sees them: from admission by the breaker to the end of the response. */
export function appMetrics(metrics: InboundMetrics, now: () => number): Middleware {
  return (next) => (ex) => {
    const admittedMs = now();
    ex.onEnd(() => {
      const status = ex.finalStatus;
      metrics.recordAppRequest(status, (now() - admittedMs) / 1000);
    });
    next(ex);
  };
}
