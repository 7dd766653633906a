import { parseIp, type PolicyRequest } from '@trellis/policy';
import type { Exchange } from './exchange';

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The host a request named, without port, lower case (`[v6]` keeps its brackets off). */
function hostOf(ex: Exchange): string | undefined {
  const authority = first(ex.headers[':authority']) ?? first(ex.headers.host);
  if (authority === undefined || authority === '') return undefined;
  if (authority.startsWith('[')) return authority.slice(1, authority.indexOf(']')).toLowerCase();
  const colon = authority.indexOf(':');
  return (colon < 0 ? authority : authority.slice(0, colon)).toLowerCase();
}

/** Origin-form path and query of the target (an absolute-form `http://host/p?q` gives `/p` and `q`). */
function pathAndQuery(target: string): [string, string] {
  let t = target;
  if (!t.startsWith('/')) {
    const scheme = t.indexOf('://');
    const slash = scheme < 0 ? -1 : t.indexOf('/', scheme + 3);
    t = slash < 0 ? '/' : t.slice(slash);
  }
  const q = t.indexOf('?');
  return q < 0 ? [t, ''] : [t.slice(0, q), t.slice(q + 1)];
}

/** What the policy evaluator sees of an inbound request: its peer, TLS identity, method, path, host and headers. */
export function policyRequestOf(ex: Exchange): PolicyRequest {
  const [path, query] = pathAndQuery(ex.target);
  const address = ex.remoteAddress;
  return {
    clientIp: address === undefined ? undefined : parseIp(address),
    tls: ex.connectionTls.tls,
    clientId: ex.connectionTls.clientId,
    method: ex.method.toUpperCase(),
    path,
    query,
    host: hostOf(ex),
    header: (name) => first(ex.headers[name]),
  };
}
