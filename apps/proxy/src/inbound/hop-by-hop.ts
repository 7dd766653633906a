import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

/**
 * Connection-specific headers (RFC 9110 section 7.6.1, plus the legacy Keep-Alive and
 * Proxy-Connection, HTTP2-Settings, and Expect, which the proxy answers itself). They describe one
 * hop and are never forwarded.
 */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
  'expect',
]);

/** Lower-cased names listed in a Connection header (each is hop-by-hop too). */
function connectionTokens(value: string | string[] | undefined): Set<string> | undefined {
  if (value === undefined) return undefined;
  // The common values name no other header: skip the parsing.
  if (typeof value === 'string' && /^(keep-alive|close)$/i.test(value)) return undefined;
  const tokens = new Set<string>();
  for (const part of Array.isArray(value) ? value : [value]) {
    for (const token of part.split(',')) {
      const name = token.trim().toLowerCase();
      if (name !== '') tokens.add(name);
    }
  }
  return tokens;
}

/**
 * The end-to-end headers of a response (or trailers) from the app: the object itself when it has no
 * hop-by-hop field, else a copy without them. Not deletes in place: each is a runtime call, and
 * deleting leaves the object in dictionary mode, slower for the response writer to walk.
 */
export function stripHopByHop(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const listed = connectionTokens(headers.connection);
  let clean = true;
  for (const name in headers) {
    if (HOP_BY_HOP.has(name) || listed?.has(name)) {
      clean = false;
      break;
    }
  }
  if (clean) return headers;
  const out: OutgoingHttpHeaders = {};
  for (const name in headers) if (!HOP_BY_HOP.has(name) && !listed?.has(name)) out[name] = headers[name];
  return out;
}

/**
 * End-to-end headers of a request or response, without pseudo-headers and with `extra` replacing
 * headers of the same name (an undefined value removes the header). `keepTeTrailers` keeps `te: trailers`, which HTTP/2 (gRPC) allows.
 * They are added to `out` (a new object by default), so a caller can put its own fields first.
 */
export function endToEndHeaders(
  headers: IncomingHttpHeaders,
  extra: ReadonlyArray<readonly [string, string | undefined]> | undefined,
  keepTeTrailers = false,
  out: OutgoingHttpHeaders = {},
): OutgoingHttpHeaders {
  const listed = connectionTokens(headers.connection);
  for (const name in headers) {
    if (name.charCodeAt(0) === 58 /* ':' */ || HOP_BY_HOP.has(name) || listed?.has(name)) continue;
    out[name] = headers[name];
  }
  if (keepTeTrailers && headers.te === 'trailers') out.te = 'trailers';
  if (extra !== undefined) {
    for (const [name, value] of extra) {
      if (value === undefined) delete out[name];
      else out[name] = value;
    }
  }
  return out;
}
