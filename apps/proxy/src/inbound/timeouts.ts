import { InboundTimeoutError, type TimeoutKind } from './errors';
import type { Exchange, Middleware } from './exchange';

export interface TimeoutOptions {
  /** REVISION_TIMEOUT_SECONDS: the whole request, queueing included. */
  readonly overallMs: number;
  /** REVISION_RESPONSE_START_TIMEOUT_SECONDS: until the response starts; 0 = off. */
  readonly responseStartMs: number;
  /** REVISION_IDLE_TIMEOUT_SECONDS: longest silence from the app; 0 = off. */
  readonly idleMs: number;
}

const ERRORS: Record<TimeoutKind, InboundTimeoutError> = {
  request: new InboundTimeoutError('request'),
  'response start': new InboundTimeoutError('response start'),
  idle: new InboundTimeoutError('idle'),
};

function expire(ex: Exchange, kind: TimeoutKind): void {
  ex.fail(ERRORS[kind]);
}

/**
 * Knative's timeout handler: a request that has not started its response when a timeout fires gets
 * 504 with the timeout's name; one whose response has started is cut (the client sees a truncated
 * response), since the status line is already gone. Timers are cleared when the exchange ends.
 */
export function timeouts(options: TimeoutOptions): Middleware {
  const { overallMs, responseStartMs, idleMs } = options;
  return (next) => (ex) => {
    ex.overallTimer = setTimeout(expire, overallMs, ex, 'request');
    if (responseStartMs > 0) ex.startTimer = setTimeout(expire, responseStartMs, ex, 'response start');
    if (idleMs > 0) ex.idleTimer = setTimeout(expire, idleMs, ex, 'idle');
    next(ex);
  };
}
