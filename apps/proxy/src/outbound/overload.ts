import type { OverloadGuard } from '../process/overload-manager';
import { OutboundError } from './errors';
import type { Layer } from './layer';

/**
 * overload: while the overload manager sheds (Envoy's stop_accepting_requests), a new request fails at once
 * with 503 `overloaded`, above the route and retry layers so nothing retries it.
 */
export function overloadLayer(guard: OverloadGuard): Layer {
  return (next) => (call) => (guard.admit('outbound') ? next(call) : Promise.reject(new OutboundError('OVERLOADED', 'proxy overloaded; request shed')));
}
