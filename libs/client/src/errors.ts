/**
 * Errors the client itself produces. `code` is stable; `cause` carries the underlying error.
 * - FAIL_FAST: the service has no endpoint to pick within the fail-fast time (the proxy answers 503).
 * - ROUTE_TIMEOUT: the route's timeout passed before the response headers (the proxy answers 504).
 * - TOO_MANY_SERVICES: the agent already follows MAX_SERVICES services.
 * - CLOSED: the agent (or resolver) is closed.
 * - INVALID_OPTION: a constructor option is wrong.
 */
export type ClientErrorCode = 'FAIL_FAST' | 'ROUTE_TIMEOUT' | 'TOO_MANY_SERVICES' | 'CLOSED' | 'INVALID_OPTION';

export class ClientError extends Error {
  override readonly name = 'ClientError';
  constructor(
    readonly code: ClientErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
