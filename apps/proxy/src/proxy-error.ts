import { STATUS_CODES } from 'node:http';

/**
 * The one error table of the proxy, for both directions and the listeners: every response the
 * proxy makes itself comes from a typed error whose code maps here to an HTTP status, the stable
 * `l5d-proxy-error` reason (also the body) and, for gRPC callers, a grpc-status (they get HTTP 200
 * and a trailers-only response instead). The rescue points (outbound/rescue.ts, the inbound
 * exchange's fail(), the listeners' clientError handlers) are the only places that read it.
 */

export const PROXY_ERROR_HEADER = 'l5d-proxy-error';

/** nginx's status for a request whose client left before the response was complete (never sent). */
export const CLIENT_CLOSED_REQUEST_STATUS = 499;

// gRPC status codes (grpc/doc/statuscodes.md).
const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_NOT_FOUND = 5;
const GRPC_PERMISSION_DENIED = 7;
const GRPC_RESOURCE_EXHAUSTED = 8;
const GRPC_UNIMPLEMENTED = 12;
const GRPC_INTERNAL = 13;
const GRPC_UNAVAILABLE = 14;
const GRPC_CANCELLED = 1;

export interface ErrorResponse {
  readonly status: number;
  /** The stable reason carried in `l5d-proxy-error` and the body. */
  readonly reason: string;
  /** What a gRPC caller gets in grpc-status. */
  readonly grpcStatus: number;
}

function entry(status: number, reason: string, grpcStatus: number): ErrorResponse {
  return Object.freeze({ status, reason, grpcStatus });
}

/**
 * Outbound codes follow linkerd2-proxy's ServerRescue (fail-fast and load shedding 503, timeouts
 * 504, connection failures 502); inbound codes follow Knative's queue-proxy (breaker overflow 503
 * `pending request queue full`, timeouts 504, app failures 502).
 */
export const PROXY_ERRORS = Object.freeze({
  BAD_REQUEST: entry(400, 'bad request', GRPC_INTERNAL),
  HEADERS_TOO_LARGE: entry(431, 'request headers too large', GRPC_INTERNAL),
  REQUEST_HEAD_TIMEOUT: entry(408, 'request head timeout', GRPC_INTERNAL),
  URI_TOO_LONG: entry(414, 'request line too long', GRPC_INTERNAL),
  EXPECTATION_FAILED: entry(417, 'expectation not supported', GRPC_INTERNAL),
  TRANSFER_CODING_UNSUPPORTED: entry(501, 'transfer coding not supported', GRPC_UNIMPLEMENTED),
  HTTP_VERSION_UNSUPPORTED: entry(505, 'HTTP version not supported', GRPC_INTERNAL),
  CONNECT_TO_TLS_PORT: entry(405, 'CONNECT is only supported to plain HTTP ports', GRPC_UNIMPLEMENTED),
  UPGRADE_UNSUPPORTED: entry(501, 'protocol upgrades are not supported', GRPC_UNIMPLEMENTED),
  NO_ROUTE: entry(404, 'no route', GRPC_NOT_FOUND),
  UNKNOWN_SERVICE: entry(503, 'unknown service', GRPC_UNAVAILABLE),
  FAIL_FAST: entry(503, 'service in fail-fast', GRPC_UNAVAILABLE),
  QUEUE_FULL: entry(503, 'pending request queue full', GRPC_UNAVAILABLE),
  BREAKER_OPEN: entry(503, 'circuit breaker open', GRPC_UNAVAILABLE),
  SCALE_FROM_ZERO_TIMEOUT: entry(503, 'scale from zero timed out', GRPC_UNAVAILABLE),
  SHUTTING_DOWN: entry(503, 'proxy shutting down', GRPC_UNAVAILABLE),
  /** Envoy's overload manager (stop_accepting_requests): the proxy sheds new requests under memory or event-loop pressure. */
  OVERLOADED: entry(503, 'overloaded', GRPC_UNAVAILABLE),
  ROUTE_TIMEOUT: entry(504, 'request timed out', GRPC_DEADLINE_EXCEEDED),
  CONNECT_FAILED: entry(502, 'connection to endpoint failed', GRPC_UNAVAILABLE),
  UPSTREAM_FAILED: entry(502, 'endpoint failed', GRPC_UNAVAILABLE),
  INBOUND_QUEUE_FULL: entry(503, 'pending request queue full', GRPC_UNAVAILABLE),
  INBOUND_REQUEST_TIMEOUT: entry(504, 'request timeout', GRPC_DEADLINE_EXCEEDED),
  INBOUND_RESPONSE_START_TIMEOUT: entry(504, 'response start timeout', GRPC_DEADLINE_EXCEEDED),
  INBOUND_IDLE_TIMEOUT: entry(504, 'idle timeout', GRPC_DEADLINE_EXCEEDED),
  INBOUND_APP_UNAVAILABLE: entry(502, 'app unavailable', GRPC_UNAVAILABLE),
  INBOUND_APP_ERROR: entry(502, 'app connection error', GRPC_UNAVAILABLE),
  INBOUND_CLIENT_GONE: entry(CLIENT_CLOSED_REQUEST_STATUS, 'client disconnected', GRPC_CANCELLED),
  // Inbound policy, with linkerd2-proxy's error texts (HttpRouteUnauthorized, HttpRouteNotFound, RateLimitError).
  FORBIDDEN: entry(403, 'unauthorized request on route', GRPC_PERMISSION_DENIED),
  INBOUND_NO_ROUTE: entry(404, 'no route found for request', GRPC_NOT_FOUND),
  RATE_LIMITED: entry(429, 'too many requests', GRPC_RESOURCE_EXHAUSTED),
});

export type ProxyErrorCode = keyof typeof PROXY_ERRORS;

/** Base of every error the proxy answers for itself; `message` is for logs, the table gives the response. */
export class ProxyError<C extends ProxyErrorCode = ProxyErrorCode> extends Error {
  /** Headers the response carries besides the table's (e.g. `retry-after` on a 429). */
  readonly headers: Readonly<Record<string, string>> | undefined;

  constructor(
    readonly code: C,
    message: string = PROXY_ERRORS[code].reason,
    options?: { cause?: unknown; headers?: Readonly<Record<string, string>> },
  ) {
    super(message, options);
    this.name = 'ProxyError';
    this.headers = options?.headers;
  }

  get reason(): string {
    return PROXY_ERRORS[this.code].reason;
  }
}

/** Any error becomes a proxy error response; an unknown one is an upstream failure. */
export function errorResponse(err: unknown): ErrorResponse {
  return err instanceof ProxyError ? PROXY_ERRORS[(err as ProxyError).code] : PROXY_ERRORS.UPSTREAM_FAILED;
}

/** Headers of a proxy error response; with `grpc`, those of a trailers-only gRPC response (send with :status 200). */
export function errorHeaders(e: ErrorResponse, grpc: boolean): Record<string, string> {
  if (grpc) {
    return {
      'content-type': 'application/grpc',
      'grpc-status': String(e.grpcStatus),
      'grpc-message': encodeURIComponent(e.reason),
      [PROXY_ERROR_HEADER]: e.reason,
    };
  }
  return { 'content-type': 'text/plain; charset=utf-8', [PROXY_ERROR_HEADER]: e.reason };
}

/** errorHeaders for the response to `err`, with the extra headers the error carries. */
export function errorHeadersOf(err: unknown, grpc: boolean): Record<string, string> {
  const headers = errorHeaders(errorResponse(err), grpc);
  return err instanceof ProxyError && err.headers !== undefined ? { ...headers, ...err.headers } : headers;
}

/**
 * Envoy's access-log response flags for the proxy's own answers: UAEX (denied by authorization), RL
 * (rate limited), NR (no route), UH (no healthy upstream), UO (overflow), UF (connection failure),
 * UC (upstream connection termination), UT (upstream timeout), SI (stream idle timeout), DC
 * (downstream went away), LR (local reset); `-` when none applies.
 */
const RESPONSE_FLAGS: Partial<Record<ProxyErrorCode, string>> = {
  FORBIDDEN: 'UAEX',
  RATE_LIMITED: 'RL',
  NO_ROUTE: 'NR',
  INBOUND_NO_ROUTE: 'NR',
  UNKNOWN_SERVICE: 'NR',
  FAIL_FAST: 'UH',
  SCALE_FROM_ZERO_TIMEOUT: 'UH',
  QUEUE_FULL: 'UO',
  INBOUND_QUEUE_FULL: 'UO',
  BREAKER_OPEN: 'UO',
  CONNECT_FAILED: 'UF',
  INBOUND_APP_UNAVAILABLE: 'UF',
  UPSTREAM_FAILED: 'UC',
  INBOUND_APP_ERROR: 'UC',
  ROUTE_TIMEOUT: 'UT',
  INBOUND_REQUEST_TIMEOUT: 'UT',
  INBOUND_RESPONSE_START_TIMEOUT: 'UT',
  INBOUND_IDLE_TIMEOUT: 'SI',
  INBOUND_CLIENT_GONE: 'DC',
  SHUTTING_DOWN: 'LR',
};

export function responseFlag(code: ProxyErrorCode | undefined): string {
  return (code === undefined ? undefined : RESPONSE_FLAGS[code]) ?? '-';
}

/** The table code of any error (an unknown one is an upstream failure, as errorResponse treats it). */
export function errorCodeOf(err: unknown): ProxyErrorCode {
  return err instanceof ProxyError ? (err as ProxyError).code : 'UPSTREAM_FAILED';
}

/** A whole HTTP/1.1 error response for a raw socket (listeners answering outside a request), closing it. */
export function rawErrorResponse(code: ProxyErrorCode, extraHeaders = ''): string {
  const e = PROXY_ERRORS[code];
  const body = `${e.reason}\n`;
  return (
    `HTTP/1.1 ${e.status} ${STATUS_CODES[e.status] ?? ''}\r\n${PROXY_ERROR_HEADER}: ${e.reason}\r\n${extraHeaders}` +
    `connection: close\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}

/** The code for a request Node's HTTP/1.1 parser refused (`clientError`), by the parser's error code. */
export function clientErrorCode(code: string | undefined): ProxyErrorCode {
  if (code === 'HPE_HEADER_OVERFLOW') return 'HEADERS_TOO_LARGE';
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return 'REQUEST_HEAD_TIMEOUT';
  return 'BAD_REQUEST';
}

export function isGrpcContentType(contentType: string | undefined): boolean {
  return contentType !== undefined && contentType.startsWith('application/grpc');
}
