import { CLIENT_CLOSED_REQUEST_STATUS, InboundError, type InboundErrorCode } from './errors';

/** The one place that turns the inbound role's errors into HTTP status codes. */
const STATUS_BY_CODE: Record<InboundErrorCode, number> = {
  INBOUND_QUEUE_FULL: 503,
  INBOUND_REQUEST_TIMEOUT: 504,
  INBOUND_RESPONSE_START_TIMEOUT: 504,
  INBOUND_IDLE_TIMEOUT: 504,
  INBOUND_APP_UNAVAILABLE: 502,
  INBOUND_APP_ERROR: 502,
  INBOUND_CLIENT_GONE: CLIENT_CLOSED_REQUEST_STATUS,
  INBOUND_BAD_REQUEST: 400,
  INBOUND_HEADERS_TOO_LARGE: 431,
};

export const PROXY_ERROR_HEADER = 'l5d-proxy-error';

export interface ErrorResponse {
  readonly status: number;
  readonly reason: string;
}

export function errorResponse(err: unknown): ErrorResponse {
  if (err instanceof InboundError) return { status: STATUS_BY_CODE[err.code], reason: err.reason };
  return { status: 502, reason: 'proxy error' };
}

/** Headers and body of a response the proxy produces itself. */
export function errorHeaders(reason: string): Record<string, string> {
  return { 'content-type': 'text/plain; charset=utf-8', [PROXY_ERROR_HEADER]: reason };
}
