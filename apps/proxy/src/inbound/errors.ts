/**
 * Every failure the inbound role answers for itself. `reason` is the stable text of the
 * `l5d-proxy-error` header and the response body; error-response.ts maps them to responses.
 */
export type InboundErrorCode =
  | 'INBOUND_QUEUE_FULL'
  | 'INBOUND_REQUEST_TIMEOUT'
  | 'INBOUND_RESPONSE_START_TIMEOUT'
  | 'INBOUND_IDLE_TIMEOUT'
  | 'INBOUND_APP_UNAVAILABLE'
  | 'INBOUND_APP_ERROR'
  | 'INBOUND_CLIENT_GONE'
  | 'INBOUND_BAD_REQUEST'
  | 'INBOUND_HEADERS_TOO_LARGE';

/** nginx's status for a request whose client left before the response was complete (never sent). */
export const CLIENT_CLOSED_REQUEST_STATUS = 499;

export class InboundError extends Error {
  constructor(
    readonly code: InboundErrorCode,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(reason, options);
    this.name = 'InboundError';
  }
}

/** Knative breaker overflow: the text is Knative's, so clients and dashboards recognise it. */
export class QueueFullError extends InboundError {
  constructor() {
    super('INBOUND_QUEUE_FULL', 'pending request queue full');
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
    super(TIMEOUT_CODES[kind], `${kind} timeout`);
  }
}

/** The app refused or dropped the connection before answering. */
export class AppUnavailableError extends InboundError {
  constructor(cause: unknown) {
    super('INBOUND_APP_UNAVAILABLE', 'app unavailable', { cause });
  }
}

/** The app broke the exchange after it started (malformed response, reset stream). */
export class AppError extends InboundError {
  constructor(cause: unknown) {
    super('INBOUND_APP_ERROR', 'app connection error', { cause });
  }
}

/** The client went away; nothing is answered, in-progress work is cancelled. */
export class ClientGoneError extends InboundError {
  constructor() {
    super('INBOUND_CLIENT_GONE', 'client disconnected');
  }
}
