import type { OverloadGuard } from '../process/overload-manager';
import { InboundError } from './errors';
import type { Middleware } from './exchange';

const OVERLOADED = new InboundError('OVERLOADED');

/**
 * Load shedding (Envoy's stop_accepting_requests overload action): while the overload manager sheds, a new
 * request gets 503 `overloaded` at once, before it can queue, time out or reach the app. Probes are answered
 * above this handler, so a shedding proxy still tells its readiness.
 */
export function overload(guard: OverloadGuard): Middleware {
  return (next) => (ex) => {
    if (guard.admit('inbound')) next(ex);
    else ex.fail(OVERLOADED);
  };
}
