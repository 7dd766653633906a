import { OutboundError } from './errors';
import type { Layer } from './layer';

/**
 * request timeout (the route's `timeout`, Linkerd's ServiceProfile semantics): covers every
 * attempt, retries and waits for an endpoint included, up to the response headers; the body
 * streams on after them. Firing aborts the call with ROUTE_TIMEOUT, which ends whatever it waits in.
 */
export function requestTimeoutLayer(): Layer {
  return (next) => (call) => {
    const route = call.route;
    if (route.timeoutMs <= 0) return next(call);
    const timer = setTimeout(
      () => call.abort.abort(new OutboundError('ROUTE_TIMEOUT', `route ${route.name} timed out after ${route.timeoutMs} ms`)),
      route.timeoutMs,
    );
    return next(call).finally(() => clearTimeout(timer));
  };
}
