import type { Filter, HeaderModifier, PathMatch, PathRewrite, RequestMatch } from './model';

type HeaderValue = string | string[] | number | undefined;
export type HeaderRecord = Record<string, HeaderValue>;

/**
 * Applies a modifier to headers kept as a flat `[name, value, name, value, ...]` list (HTTP/1.1
 * raw headers): add appends, set replaces every value, remove drops; in that order (Gateway API).
 * Names compare without case. Returns a new list.
 */
export function modifyHeaderList(list: readonly string[], m: HeaderModifier): string[] {
  const out = [...list];
  for (const [name, value] of m.add) out.push(name, value);
  for (const [name, value] of m.set) {
    const lower = name.toLowerCase();
    const kept: string[] = [];
    for (let i = 0; i < out.length; i += 2) {
      if ((out[i] as string).toLowerCase() !== lower) kept.push(out[i] as string, out[i + 1] as string);
    }
    kept.push(name, value);
    out.splice(0, out.length, ...kept);
  }
  if (m.remove.length > 0) {
    const drop = new Set(m.remove.map((n) => n.toLowerCase()));
    const kept: string[] = [];
    for (let i = 0; i < out.length; i += 2) {
      if (!drop.has((out[i] as string).toLowerCase())) kept.push(out[i] as string, out[i + 1] as string);
    }
    return kept;
  }
  return out;
}

/** The same on headers kept as an object with lower-case names (Node's HTTP/2 and response headers); changes it in place. */
export function modifyHeaderRecord(headers: HeaderRecord, m: HeaderModifier): void {
  for (const [name, value] of m.add) {
    const key = name.toLowerCase();
    const current = headers[key];
    if (current === undefined) headers[key] = value;
    else headers[key] = [...(Array.isArray(current) ? current : [String(current)]), value];
  }
  for (const [name, value] of m.set) headers[name.toLowerCase()] = value;
  for (const name of m.remove) delete headers[name.toLowerCase()];
}

/** The prefix a match matched on, when it is a path prefix (what a `prefix` rewrite replaces). */
export function matchedPrefix(match: RequestMatch | undefined): string | undefined {
  if (match?.kind !== 'http') return undefined;
  const p: PathMatch | undefined = match.path;
  return p?.kind === 'prefix' ? p.value : undefined;
}

/**
 * A path rewritten by a filter (query kept by the caller). A `prefix` rewrite replaces the matched
 * prefix; without one (the rule did not match on a prefix), the path is left as it is.
 */
export function rewritePath(path: string, rewrite: PathRewrite | undefined, prefix: string | undefined): string {
  if (rewrite === undefined) return path;
  if (rewrite.kind === 'full') return rewrite.value;
  if (prefix === undefined) return path;
  const base = prefix.length > 1 && prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  const rest = base === '/' ? path : path.slice(base.length);
  const head = rewrite.value.endsWith('/') && rest.startsWith('/') ? rewrite.value.slice(0, -1) : rewrite.value;
  const joined = head + rest;
  return joined === '' ? '/' : joined.startsWith('/') ? joined : `/${joined}`;
}

export interface RedirectRequest {
  readonly scheme: string;
  readonly host: string;
  readonly port: number | undefined;
  readonly path: string;
  readonly query: string;
}

/** The `location` of a redirect filter: its parts where set, the request's otherwise (Gateway API RequestRedirect). */
export function redirectLocation(f: Extract<Filter, { kind: 'redirect' }>, req: RedirectRequest, prefix: string | undefined): string {
  const scheme = f.scheme ?? req.scheme;
  const host = f.host ?? req.host;
  const defaultPort = scheme === 'https' ? 443 : 80;
  // A scheme change without a port drops the request's port (Gateway API: the scheme's well-known port).
  const port = f.port ?? (f.scheme !== undefined && f.scheme !== req.scheme ? undefined : req.port);
  const authority = port === undefined || port === defaultPort ? host : `${host}:${port}`;
  const path = rewritePath(req.path, f.path, prefix);
  return `${scheme}://${authority}${path}${req.query === '' ? '' : `?${req.query}`}`;
}

/** Whether a failure filter answers this request, from one uniform draw in [0, 1). */
export function failureApplies(f: Extract<Filter, { kind: 'failure' }>, draw: number): boolean {
  return draw < f.ratio;
}
