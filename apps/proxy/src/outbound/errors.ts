import { BREAKER_OVERFLOW_CODE, CONNECT_TIMEOUT_CODE, NOT_SENT_CODES } from '../http1/pool';
import { ProxyError, type ProxyErrorCode } from '../proxy-error';

/** The outbound role's codes in the proxy's error table (proxy-error.ts). */
export type OutboundErrorCode = Exclude<ProxyErrorCode, `INBOUND_${string}`>;

/**
 * Every error the outbound proxy answers with itself. `notSent` marks a request that never left
 * the proxy (no connection, or refused before any byte was written): the retry layer sends it
 * again whatever the route says, as linkerd2-proxy does.
 */
export class OutboundError extends ProxyError<OutboundErrorCode> {
  override readonly name = 'OutboundError';
  constructor(
    code: OutboundErrorCode,
    message: string,
    options?: { cause?: unknown; notSent?: boolean },
  ) {
    super(code, message, options);
    this.notSent = options?.notSent ?? false;
  }

  readonly notSent: boolean;
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
]);

/** HTTP/2 failures before the server saw the stream: a session gone or closing, a refused stream. */
const H2_NOT_SENT_CODES = new Set(['ERR_HTTP2_GOAWAY_SESSION', 'ERR_HTTP2_INVALID_SESSION']);
/** RFC 9113 section 8.7: REFUSED_STREAM means the server did no processing of the request. */
const NGHTTP2_REFUSED_STREAM = 7;

function ownCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The code of an error, or of its cause for an HTTP/2 stream cancelled by its session's failure. */
function errorCode(err: unknown): string | undefined {
  const code = ownCode(err);
  return code === 'ERR_HTTP2_STREAM_CANCEL' ? ownCode((err as { cause?: unknown }).cause) : code;
}

function refusedStream(err: unknown): boolean {
  return (err as { rstCode?: unknown } | null)?.rstCode === NGHTTP2_REFUSED_STREAM || /NGHTTP2_REFUSED_STREAM/.test(String((err as Error)?.message));
}

/** Wraps an error from an upstream attempt into an OutboundError, telling whether the request left. */
export function upstreamError(err: unknown, endpoint: string): OutboundError {
  if (err instanceof OutboundError) return err;
  const code = errorCode(err);
  if (code === BREAKER_OVERFLOW_CODE) {
    return new OutboundError('BREAKER_OPEN', `${endpoint}: ${(err as Error).message}`, { cause: err });
  }
  if (code === 'HTTP1_QUEUE_FULL') {
    return new OutboundError('QUEUE_FULL', `${endpoint}: too many requests wait for a connection`, { cause: err });
  }
  if (code !== undefined && CONNECT_ERROR_CODES.has(code)) {
    return new OutboundError('CONNECT_FAILED', `connection to ${endpoint} failed: ${code}`, { cause: err, notSent: true });
  }
  const notSent = (code !== undefined && (NOT_SENT_CODES.has(code) || H2_NOT_SENT_CODES.has(code))) || refusedStream(err);
  return new OutboundError('UPSTREAM_FAILED', `request to ${endpoint} failed: ${(err as Error)?.message ?? String(err)}`, {
    cause: err,
    notSent,
  });
}
