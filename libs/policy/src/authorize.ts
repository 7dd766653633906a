import { cidrContains, type IpAddress } from './ip';
import {
  AUDIT_AUTHZ_META,
  isAudit,
  type Authentication,
  type Authorization,
  type HostMatch,
  type InboundPolicy,
  type Meta,
  type Route,
  type RouteMatch,
  type ValueMatch,
} from './model';

/** What the evaluator needs to know of a request and its connection. */
export interface PolicyRequest {
  /** The peer's address; undefined never matches a network (fail closed). */
  readonly clientIp: IpAddress | undefined;
  /** The connection came over mesh TLS. */
  readonly tls: boolean;
  /** The identity its client certificate proved; undefined without one. */
  readonly clientId: string | undefined;
  /** Upper case. */
  readonly method: string;
  /** Without the query. */
  readonly path: string;
  /** After `?`, without it; '' when none. */
  readonly query: string;
  /** Host without port, lower case; undefined when the request named none. */
  readonly host: string | undefined;
  header(name: string): string | undefined;
}

export type Decision =
  /** `audit`: no authorization matched, but the audit mode or an audit authorization let it through. */
  | { readonly kind: 'allow'; readonly route: Meta; readonly authz: Meta; readonly audit: boolean }
  | { readonly kind: 'deny'; readonly route: Meta }
  | { readonly kind: 'no-route' };

function valueMatches(m: ValueMatch, value: string | undefined): boolean {
  if (value === undefined) return false;
  return m.kind === 'exact' ? m.value === value : m.value.test(value);
}

function queryParam(query: string, name: string): string | undefined {
  if (query === '') return undefined;
  for (const pair of query.split('&')) {
    const eq = pair.indexOf('=');
    const key = eq < 0 ? pair : pair.slice(0, eq);
    if (key === name) return eq < 0 ? '' : pair.slice(eq + 1);
  }
  return undefined;
}

function pathMatches(m: RouteMatch['path'], path: string): boolean {
  if (m === undefined) return true;
  switch (m.kind) {
    case 'exact':
      return path === m.value;
    case 'prefix':
      // Gateway API: a prefix matches whole path segments (`/foo` matches `/foo` and `/foo/bar`, not `/foobar`).
      return m.value === '/' || path === m.value || path.startsWith(m.value.endsWith('/') ? m.value : `${m.value}/`);
    case 'regex':
      return m.value.test(path);
  }
}

export function routeMatchMatches(m: RouteMatch, req: PolicyRequest): boolean {
  if (m.method !== undefined && m.method !== req.method) return false;
  if (!pathMatches(m.path, req.path)) return false;
  for (const h of m.headers) if (!valueMatches(h.value, req.header(h.name))) return false;
  for (const q of m.queryParams) if (!valueMatches(q.value, queryParam(req.query, q.name))) return false;
  return true;
}

function hostMatches(hosts: readonly HostMatch[], host: string | undefined): boolean {
  if (hosts.length === 0) return true;
  if (host === undefined) return false;
  return hosts.some((h) => (h.kind === 'exact' ? host === h.value : host.endsWith(`.${h.value}`)));
}

function authenticated(a: Authentication, req: PolicyRequest): boolean {
  switch (a.kind) {
    case 'unauthenticated':
      return true;
    case 'tls-unauthenticated':
      return req.tls;
    case 'tls-authenticated': {
      const id = req.clientId;
      if (id === undefined) return false;
      if (a.identities.includes(id)) return true;
      return a.suffixes.some((parts) => parts.length === 0 || id.endsWith(`.${parts.join('.')}`));
    }
  }
}

/** Linkerd's `is_authorized`: the client is in one of the networks (and none of its exceptions), and authenticated as required. */
export function isAuthorized(authz: Authorization, req: PolicyRequest): boolean {
  const ip = req.clientIp;
  if (ip === undefined) return false;
  const inNetwork = authz.networks.some((n) => cidrContains(n.net, ip) && !n.except.some((e) => cidrContains(e, ip)));
  return inNetwork && authenticated(authz.authentication, req);
}

/** The first route, in order, whose hosts and one of whose matches take the request. */
export function findRoute(policy: InboundPolicy, req: PolicyRequest): Route | undefined {
  return policy.routes.find((r) => hostMatches(r.hosts, req.host) && r.matches.some((m) => routeMatchMatches(m, req)));
}

/**
 * Decides one request (linkerd2-proxy's `HttpPolicyService::authorize`): find its route, then the
 * first of the route's authorizations that admits the client. With `audit`, a request no
 * authorization admits is let through under Linkerd's audit authorization instead of denied.
 */
export function authorize(policy: InboundPolicy, req: PolicyRequest, options: { audit?: boolean } = {}): Decision {
  const route = findRoute(policy, req);
  if (route === undefined) return { kind: 'no-route' };
  const authz = route.authorizations.find((a) => isAuthorized(a, req));
  if (authz !== undefined) return { kind: 'allow', route: route.meta, authz: authz.meta, audit: isAudit(authz.meta) };
  if (options.audit === true) return { kind: 'allow', route: route.meta, authz: AUDIT_AUTHZ_META, audit: true };
  return { kind: 'deny', route: route.meta };
}
