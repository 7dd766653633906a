import type { RequestStats } from '../stats/request-stats';
import type { Exchange, Middleware } from './exchange';

/**
 * Feeds Knative's request statistics. It sits before the breaker, as in Knative's ProxyHandler, so
 * requests waiting in the queue count as concurrency: that is the demand the autoscaler must see.
 */
export function stats(accumulator: RequestStats, now: () => number): Middleware {
  const requestOut = (ex: Exchange): void => accumulator.requestOut(now(), ex.proxied);
  return (next) => (ex) => {
    accumulator.requestIn(now(), ex.proxied);
    ex.onEnd(requestOut);
    next(ex);
  };
}
