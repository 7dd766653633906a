import { ProxyError, type ProxyErrorCode } from '../proxy-error';

export { CLIENT_CLOSED_REQUEST_STATUS } from '../proxy-error';

/** The inbound role's codes in the proxy's error table (proxy-error.ts). */
export type InboundErrorCode = Extract<ProxyErrorCode, `INBOUND_${string}`> | 'BAD_REQUEST' | 'HEADERS_TOO_LARGE' | 'OVERLOADED' | 'FORBIDDEN' | 'RATE_LIMITED';

/** Every failure the inbound role answers for itself. */
export class InboundError extends ProxyError<InboundErrorCode> {
  override readonly name = 'InboundError';
}

/** Knative breaker overflow: the text is Knative's, so clients and dashboards recognise it. */
export class QueueFullError extends InboundError {
  constructor() {
    super('INBOUND_QUEUE_FULL');
  }
}

export type TimeoutKind = 'request' | 'response start' | 'idle';

const TIMEOUT_CODES: Record<TimeoutKind, InboundErrorCode> = {
  request: 'INBOUND_REQUEST_TIMEOUT',
  'response start': 'INBOUND_RESPONSE_START_TIMEOUT',
  idle: 'INBOUND_IDLE_TIMEOUT',
};

export class InboundTimeoutError extends InboundError {
  constructor(readonly kind: TimeoutKind) {
    super(TIMEOUT_CODES[kind]);
  }
}

/** The app refused or dropped the connection before answering. */
export class AppUnavailableError extends InboundError {
  constructor(cause: unknown) {
    super('INBOUND_APP_UNAVAILABLE', undefined, { cause });
  }
}

/** The app broke the exchange after it started (malformed response, reset stream). */
export class AppError extends InboundError {
  constructor(cause: unknown) {
    super('INBOUND_APP_ERROR', undefined, { cause });
  }
}

/** The client went away; nothing is answered, in-progress work is cancelled. */
export class ClientGoneError extends InboundError {
  constructor() {
    super('INBOUND_CLIENT_GONE');
  }
}

/** No authorization of the request's route admits the client (linkerd2-proxy's HttpRouteUnauthorized). */
export class ForbiddenError extends InboundError {
  constructor(message: string) {
    super('FORBIDDEN', message);
  }
}

/** The policy has routes and none matches the request (linkerd2-proxy's HttpRouteNotFound). */
export class RouteNotFoundError extends InboundError {
  constructor() {
    super('INBOUND_NO_ROUTE');
  }
}

/** A local rate limit is exhausted; the answer says when to try again (RFC 9110 Retry-After, seconds). */
export class RateLimitedError extends InboundError {
  constructor(
    readonly scope: string,
    readonly retryAfterSeconds: number,
  ) {
    super('RATE_LIMITED', `${scope} rate limit exceeded`, { headers: { 'retry-after': String(retryAfterSeconds) } });
  }
}
