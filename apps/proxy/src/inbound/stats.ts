import type { RequestStats } from '../stats/request-stats';
import type { Middleware } from './exchange';

/**
 * Feeds Knative's request statistics. It sits before the breaker, as in Knative's ProxyHandler, so
 * requests waiting in the queue count as concurrency: that is the demand the autoscaler must see.
 */
export function stats(accumulator: RequestStats, now: () => number): Middleware {
  return (next) => (ex) => {
    const proxied = ex.proxied;
    accumulator.requestIn(now(), proxied);
    ex.onEnd(() => accumulator.requestOut(now(), proxied));
    next(ex);
  };
}
