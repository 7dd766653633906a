import type { GrpcMatch, HostMatch, HttpMatch, PathMatch, RequestMatch, RouteRequest, ValueMatch } from './model';

/** A regular expression that must match the whole value; null when it does not compile. */
export function anchoredRegex(source: string): RegExp | null {
  try {
    return new RegExp(`^(?:${source})$`);
  } catch {
    return null;
  }
}

function matchValue(m: ValueMatch, value: string | undefined): boolean {
  if (value === undefined) return false;
  if (m.kind === 'exact') return value === m.value;
  return m.regex !== undefined && m.regex.test(value);
}

/** Gateway API PathPrefix: the prefix must end at a segment boundary (`/api` matches `/api/x`, not `/apix`). */
export function prefixMatches(prefix: string, path: string): boolean {
  const p = prefix.length > 1 && prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  if (p === '/' || p === '') return path.startsWith('/');
  return path === p || (path.startsWith(p) && path.charCodeAt(p.length) === 47 /* '/' */);
}

function matchPath(m: PathMatch | undefined, path: string): boolean {
  if (m === undefined) return true;
  switch (m.kind) {
    case 'exact':
      return path === m.value;
    case 'prefix':
      return prefixMatches(m.value, path);
    case 'regex':
      return m.regex.test(path);
  }
}

/** The first value of a query parameter (Gateway API: the first one counts). */
export function queryParam(query: string, name: string): string | undefined {
  if (query === '') return undefined;
  for (const pair of query.split('&')) {
    const eq = pair.indexOf('=');
    const key = eq < 0 ? pair : pair.slice(0, eq);
    if (safeDecode(key) !== name) continue;
    return eq < 0 ? '' : safeDecode(pair.slice(eq + 1));
  }
  return undefined;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

function matchHttp(m: HttpMatch, req: RouteRequest): boolean {
  if (m.method !== undefined && m.method !== req.method) return false;
  if (!matchPath(m.path, req.path)) return false;
  for (const h of m.headers) if (!matchValue(h, req.header(h.name))) return false;
  for (const q of m.query) if (!matchValue(q, queryParam(req.query, q.name))) return false;
  return true;
}

/** `/package.Service/Method` split into its two parts; undefined for any other path. */
export function grpcMethod(path: string): { service: string; method: string } | undefined {
  const slash = path.indexOf('/', 1);
  if (path.charCodeAt(0) !== 47 || slash < 0) return undefined;
  return { service: path.slice(1, slash), method: path.slice(slash + 1) };
}

function matchGrpc(m: GrpcMatch, req: RouteRequest): boolean {
  if (m.service !== undefined || m.method !== undefined) {
    const rpc = grpcMethod(req.path);
    if (rpc === undefined) return false;
    if (m.service !== undefined && rpc.service !== m.service) return false;
    if (m.method !== undefined && rpc.method !== m.method) return false;
  }
  for (const h of m.headers) if (!matchValue(h, req.header(h.name))) return false;
  return true;
}

export function matchRequest(m: RequestMatch, req: RouteRequest): boolean {
  switch (m.kind) {
    case 'http':
      return matchHttp(m, req);
    case 'grpc':
      return matchGrpc(m, req);
    case 'condition':
      return m.test(req.method, req.path);
  }
}

/** Empty: any host. `*.example.com` matches one or more labels before `.example.com`. */
export function matchHost(hosts: readonly HostMatch[], host: string | undefined): boolean {
  if (hosts.length === 0) return true;
  if (host === undefined) return false;
  return hosts.some((h) => (h.kind === 'exact' ? host === h.host : host.endsWith(`.${h.suffix}`)));
}
