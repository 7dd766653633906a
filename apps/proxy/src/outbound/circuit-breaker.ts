import type { CircuitBreakers } from '@trellis/balance';
import { OutboundError } from './errors';
import type { Layer } from './layer';

/**
 * circuit breaker (Envoy's, per backend): at most `requests` calls in flight below this point;
 * one more answers 503 `circuit breaker open` at once. The same counters bound connections and
 * requests waiting for one (the HTTP/1.1 pools take their units there) and concurrent retries (the
 * retry layer takes them); the counters keep the refusals for the metrics.
 */
export function circuitBreakerLayer(deps: { authority: string; breakers: CircuitBreakers }): Layer {
  const { breakers } = deps;
  return (next) => async (call) => {
    if (!breakers.tryAcquire('requests')) {
      throw new OutboundError('BREAKER_OPEN', `${deps.authority}: ${breakers.limits.requests} requests already in flight`);
    }
    try {
      const r = await next(call);
      r.onEnd(() => breakers.release('requests'));
      return r;
    } catch (err) {
      breakers.release('requests');
      throw err;
    }
  };
}
