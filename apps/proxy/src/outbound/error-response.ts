import { OutboundError, type OutboundErrorCode } from './errors';

export const PROXY_ERROR_HEADER = 'l5d-proxy-error';

export interface ErrorResponse {
  status: number;
  /** The stable reason carried in `l5d-proxy-error`. */
  reason: string;
  /** gRPC status for gRPC callers (they get HTTP 200 with this grpc-status). */
  grpcStatus: number;
}

// gRPC status codes (grpc/doc/statuscodes.md).
const GRPC_INTERNAL = 13;
const GRPC_UNAVAILABLE = 14;
const GRPC_DEADLINE_EXCEEDED = 4;

const RESPONSES: Record<OutboundErrorCode, ErrorResponse> = {
  BAD_REQUEST: { status: 400, reason: 'bad request', grpcStatus: GRPC_INTERNAL },
  FAIL_FAST: { status: 503, reason: 'service in fail-fast', grpcStatus: GRPC_UNAVAILABLE },
  QUEUE_FULL: { status: 503, reason: 'pending request queue full', grpcStatus: GRPC_UNAVAILABLE },
  ROUTE_TIMEOUT: { status: 504, reason: 'request timed out', grpcStatus: GRPC_DEADLINE_EXCEEDED },
  SCALE_FROM_ZERO_TIMEOUT: { status: 503, reason: 'scale from zero timed out', grpcStatus: GRPC_UNAVAILABLE },
  CONNECT_FAILED: { status: 502, reason: 'connection to endpoint failed', grpcStatus: GRPC_UNAVAILABLE },
  UPSTREAM_FAILED: { status: 502, reason: 'endpoint failed', grpcStatus: GRPC_UNAVAILABLE },
  SHUTTING_DOWN: { status: 503, reason: 'proxy shutting down', grpcStatus: GRPC_UNAVAILABLE },
};

/** Any error becomes a proxy error response; unknown errors are upstream failures. */
export function errorResponse(err: unknown): ErrorResponse {
  if (err instanceof OutboundError) return RESPONSES[err.code];
  return RESPONSES.UPSTREAM_FAILED;
}

/** Headers of a proxy error response, for HTTP/1.1 or (with `grpc`) a trailers-only gRPC response. */
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
