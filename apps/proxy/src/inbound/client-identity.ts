import type { Middleware } from './exchange';

/** Linkerd's header telling the app who called, as proved by mutual TLS. */
export const CLIENT_ID_HEADER = 'l5d-client-id';

/**
 * Tells the app the caller's mesh identity in `l5d-client-id` (as linkerd2-proxy does); a value the
 * client sent itself is always dropped, so a plaintext or anonymous caller cannot claim an identity.
 */
export function clientIdentity(): Middleware {
  return (next) => (ex) => {
    const clientId = ex.connectionTls.clientId;
    if (clientId !== undefined || ex.headers[CLIENT_ID_HEADER] !== undefined) ex.addHeader(CLIENT_ID_HEADER, clientId);
    next(ex);
  };
}
