import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

/**
 * RFC 9110 section 7.6.1: hop-by-hop fields a proxy must not forward, plus the fields named in
 * `Connection`. `proxy-authorization` is meant for this proxy, never for the next hop.
 */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'proxy-authenticate',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
]);

function connectionTokens(value: string | string[] | undefined): Set<string> | null {
  // The common values name no field; skip the split for them.
  if (value === undefined || value === 'keep-alive' || value === 'close') return null;
  const text = Array.isArray(value) ? value.join(',') : value;
  const tokens = new Set<string>();
  for (const t of text.split(',')) {
    const token = t.trim().toLowerCase();
    if (token !== '' && token !== 'close' && token !== 'keep-alive') tokens.add(token);
  }
  return tokens.size === 0 ? null : tokens;
}

/**
 * Request fields for an HTTP/1.1 upstream as a flat [name, value, ...] list, from Node's raw
 * headers (order and repeats kept). `host` is replaced by `authority` (for absolute-form
 * requests the URI wins over the Host field, RFC 9112 section 3.2.2).
 */
export function h1RequestHeaders(raw: readonly string[], connection: string | undefined, authority: string): string[] {
  const listed = connectionTokens(connection);
  const out: string[] = ['host', authority];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    const lower = name.toLowerCase();
    // `expect: 100-continue` was answered by our server already; undici refuses to send it.
    if (lower === 'host' || lower === 'expect' || HOP_BY_HOP.has(lower) || listed?.has(lower)) continue;
    out.push(name, raw[i + 1] as string);
  }
  return out;
}

/** Response fields from an upstream, for the downstream (HTTP/1.1 or HTTP/2). */
export function responseHeaders(headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>): OutgoingHttpHeaders {
  const listed = connectionTokens(headers['connection']);
  const out: OutgoingHttpHeaders = {};
  for (const name in headers) {
    if (name.charCodeAt(0) === 58 /* ':' */ || HOP_BY_HOP.has(name) || listed?.has(name)) continue;
    out[name] = headers[name];
  }
  return out;
}

/** HTTP/2 request fields for an HTTP/2 upstream: pseudo-headers kept, `te: trailers` kept (gRPC needs it). */
export function h2RequestHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const name in headers) {
    if (name === 'te') {
      if (headers.te === 'trailers') out.te = 'trailers';
      continue;
    }
    if (HOP_BY_HOP.has(name)) continue;
    out[name] = headers[name];
  }
  return out;
}
