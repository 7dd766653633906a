import { CONNECT_TIMEOUT_CODE } from '../http1/pool';

/**
 * Every error the outbound proxy answers with itself. error-response.ts is the one place that
 * turns them into a status code, an `l5d-proxy-error` reason and, for gRPC, a grpc-status.
 */
export type OutboundErrorCode =
  | 'BAD_REQUEST'
  | 'FAIL_FAST'
  | 'QUEUE_FULL'
  | 'ROUTE_TIMEOUT'
  | 'SCALE_FROM_ZERO_TIMEOUT'
  | 'CONNECT_FAILED'
  | 'UPSTREAM_FAILED'
  | 'SHUTTING_DOWN';

export class OutboundError extends Error {
  override readonly name = 'OutboundError';
  constructor(
    readonly code: OutboundErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Socket-level error codes that mean no connection was made (the request never left). */
const CONNECT_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
  CONNECT_TIMEOUT_CODE,
  'ERR_HTTP2_GOAWAY_SESSION',
  'ERR_HTTP2_INVALID_SESSION',
]);

/** Wraps an error from an upstream attempt into an OutboundError. */
export function upstreamError(err: unknown, endpoint: string): OutboundError {
  if (err instanceof OutboundError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && CONNECT_ERROR_CODES.has(code)) {
    return new OutboundError('CONNECT_FAILED', `connection to ${endpoint} failed: ${code}`, { cause: err });
  }
  return new OutboundError('UPSTREAM_FAILED', `request to ${endpoint} failed: ${(err as Error)?.message ?? String(err)}`, {
    cause: err,
  });
}
