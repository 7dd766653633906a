import type { CircuitBreakers } from '@trellis/balance';
import { OutboundError } from './errors';
import { callNext, type Layer } from './layer';
import type { UpstreamResponse } from './upstream';

/**
 * circuit breaker (Envoy's, per backend): at most `requests` calls in flight below this point;
 * one more answers 503 `circuit breaker open` at once. The same counters bound connections and
 * requests waiting for one (the HTTP/1.1 pools take their units there) and concurrent retries (the
 * retry layer takes them); the counters keep the refusals for the metrics.
 */
export function circuitBreakerLayer(deps: { authority: string; breakers: CircuitBreakers }): Layer {
  const { breakers } = deps;
  const release = () => breakers.release('requests');
  const onResponse = (r: UpstreamResponse) => {
    r.onEnd(release);
    return r;
  };
  const onFailure = (err: unknown): never => {
    release();
    throw err;
  };
  return (next) => (call) => {
    if (!breakers.tryAcquire('requests')) {
      return Promise.reject(new OutboundError('BREAKER_OPEN', `${deps.authority}: ${breakers.limits.requests} requests already in flight`));
    }
    return callNext(next, call).then(onResponse, onFailure);
  };
}
