import { OutboundError } from './errors';
import type { Layer } from './layer';

/**
 * request timeout (a ServiceProfile route's `timeout`, an HTTPRoute's `timeouts.request`): covers
 * every attempt, retries and waits for an endpoint included, up to the response headers; the body
 * streams on after them. Firing aborts the request with ROUTE_TIMEOUT (504, not retried), which
 * ends whatever it waits in.
 */
export function requestTimeoutLayer(): Layer {
  return (next) => (call) => {
    const { rule, abort } = call;
    const timeoutMs = rule.timeouts.requestMs;
    if (timeoutMs === undefined) return next(call);
    const timer = setTimeout(() => abort.abort(new OutboundError('ROUTE_TIMEOUT', `route ${rule.name} timed out after ${timeoutMs} ms`)), timeoutMs);
    return next(call).finally(() => clearTimeout(timer));
  };
}
