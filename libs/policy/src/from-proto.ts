import { HttpMethod_Registered, type HttpMethod, type IPAddress, type IPNetwork, type Metadata, type grpcRoute, type httpRoute, type inbound } from '@trellis/proto';
import { PolicyError } from './errors';
import { cidrOf, type Cidr } from './ip';
import {
  DEFAULT_ROUTE_META,
  MATCH_ALL,
  type Authentication,
  type Authorization,
  type HostMatch,
  type InboundPolicy,
  type Meta,
  type PathMatch,
  type RateLimitSpec,
  type Route,
  type RouteMatch,
  type ValueMatch,
} from './model';
import { validateRateLimit } from './rate-limit';

const NO_LABELS: Readonly<Record<string, string>> = Object.freeze({});

/** Linkerd's metadata: `default` names a built-in resource; `resource` a Kubernetes one. Labels are the fallback. */
function metaOf(metadata: Metadata | undefined, labels: Readonly<Record<string, string>> = NO_LABELS): Meta {
  const kind = metadata?.kind;
  if (kind?.$case === 'default') return { group: '', kind: 'default', name: kind.value };
  if (kind?.$case === 'resource') return { group: kind.value.group, kind: kind.value.kind, name: kind.value.name };
  return { group: labels.group ?? '', kind: labels.kind ?? 'default', name: labels.name ?? '' };
}

function addressOf(ip: IPAddress | undefined, what: string): { family: 4 | 6; value: bigint } {
  const addr = ip?.ip;
  if (addr === undefined) throw new PolicyError('INVALID_CIDR', `${what}: the network has no address`);
  if (addr.$case === 'ipv4') return { family: 4, value: BigInt(addr.value >>> 0) };
  const half = (s: string) => BigInt.asUintN(64, BigInt(s));
  return { family: 6, value: (half(addr.value.first) << 64n) | half(addr.value.last) };
}

function cidrOfProto(net: IPNetwork | undefined, what: string): Cidr {
  if (net === undefined) throw new PolicyError('INVALID_CIDR', `${what}: the network is missing`);
  return cidrOf(addressOf(net.ip, what), net.prefixLen, `${what} /${net.prefixLen}`);
}

function authenticationOf(authn: inbound.Authn | undefined, what: string): Authentication {
  const permit = authn?.permit;
  if (permit === undefined) throw new PolicyError('INVALID_AUTHORIZATION', `${what}: authentication must be set`);
  if (permit.$case === 'unauthenticated') return { kind: 'unauthenticated' };
  const clients = permit.value.clients;
  if (clients === undefined) throw new PolicyError('INVALID_AUTHORIZATION', `${what}: meshTLS must say which clients`);
  if (clients.$case === 'unauthenticated') return { kind: 'tls-unauthenticated' };
  return {
    kind: 'tls-authenticated',
    identities: clients.value.identities.map((i) => i.name),
    suffixes: clients.value.suffixes.map((s) => s.parts),
  };
}

/** An Authz; throws for one without networks or authentication (Linkerd: "must have at least one network"). */
export function authorizationOf(authz: inbound.Authz, what = 'authorization'): Authorization {
  const meta = metaOf(authz.metadata, authz.labels);
  const label = `${what} ${meta.name || '(unnamed)'}`;
  if (authz.networks.length === 0) throw new PolicyError('INVALID_AUTHORIZATION', `${label}: must have at least one network`);
  return {
    meta,
    networks: authz.networks.map((n, i) => ({
      net: cidrOfProto(n.net, `${label} networks[${i}]`),
      except: n.except.map((e, j) => cidrOfProto(e, `${label} networks[${i}].except[${j}]`)),
    })),
    authentication: authenticationOf(authz.authentication, label),
  };
}

/** Route regexes match the whole value, as Gateway API's RegularExpression match. */
function regexOf(source: string, what: string): RegExp {
  try {
    return new RegExp(`^(?:${source})$`);
  } catch (cause) {
    throw new PolicyError('INVALID_ROUTE', `${what}: invalid regex ${JSON.stringify(source)}`, { cause });
  }
}

function valueOf(v: httpRoute.HeaderMatch['value'], what: string): ValueMatch {
  if (v === undefined) throw new PolicyError('INVALID_ROUTE', `${what}: no value to match`);
  return v.$case === 'exact' ? { kind: 'exact', value: v.value } : { kind: 'regex', value: regexOf(v.value, what) };
}

function methodOf(m: HttpMethod | undefined): string | undefined {
  const t = m?.type;
  if (t === undefined) return undefined;
  if (t.$case === 'unregistered') return t.value.toUpperCase();
  const name = HttpMethod_Registered[t.value];
  if (name === undefined || name === 'UNRECOGNIZED') throw new PolicyError('INVALID_ROUTE', `unknown HTTP method ${t.value}`);
  return name;
}

function pathOf(p: httpRoute.PathMatch | undefined, what: string): PathMatch | undefined {
  const kind = p?.kind;
  if (kind === undefined) return undefined;
  if (kind.$case === 'regex') return { kind: 'regex', value: regexOf(kind.value, what) };
  if (!kind.value.startsWith('/')) throw new PolicyError('INVALID_ROUTE', `${what}: path ${JSON.stringify(kind.value)} must start with /`);
  return { kind: kind.$case, value: kind.value };
}

function httpMatchOf(m: httpRoute.HttpRouteMatch, what: string): RouteMatch {
  return {
    path: pathOf(m.path, what),
    headers: m.headers.map((h) => ({ name: h.name.toLowerCase(), value: valueOf(h.value, `${what} header ${h.name}`) })),
    queryParams: m.queryParams.map((q) => ({ name: q.name, value: valueOf(q.value, `${what} query ${q.name}`) })),
    method: methodOf(m.method),
  };
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A gRPC match is a match on `POST /<service>/<method>`; an empty service or method matches any. */
function grpcMatchOf(m: grpcRoute.GrpcRouteMatch, what: string): RouteMatch {
  const service = m.rpc?.service ?? '';
  const method = m.rpc?.method ?? '';
  let path: PathMatch | undefined;
  if (service !== '' && method !== '') path = { kind: 'exact', value: `/${service}/${method}` };
  else if (service !== '') path = { kind: 'prefix', value: `/${service}` };
  else if (method !== '') path = { kind: 'regex', value: new RegExp(`^/[^/]+/${escapeRegex(method)}$`) };
  return {
    path,
    headers: m.headers.map((h) => ({ name: h.name.toLowerCase(), value: valueOf(h.value, `${what} header ${h.name}`) })),
    queryParams: [],
    method: 'POST',
  };
}

function hostOf(h: httpRoute.HostMatch): HostMatch | undefined {
  const m = h.match;
  if (m === undefined) return undefined;
  if (m.$case === 'exact') return { kind: 'exact', value: m.value.toLowerCase() };
  return { kind: 'suffix', value: [...m.value.reverseLabels].reverse().join('.').toLowerCase() };
}

type AnyRoute = inbound.HttpRoute | inbound.GrpcRoute;

function routeOf<M>(route: AnyRoute & { rules: Array<{ matches: M[] }> }, index: number, matchOf: (m: M, what: string) => RouteMatch): Route {
  const meta = metaOf(route.metadata);
  const what = `route ${meta.name || `[${index}]`}`;
  return {
    meta,
    hosts: route.hosts.map(hostOf).filter((h): h is HostMatch => h !== undefined),
    matches: route.rules.flatMap((rule) => (rule.matches.length === 0 ? [MATCH_ALL] : rule.matches.map((m) => matchOf(m, what)))),
    authorizations: route.authorizations.map((a) => authorizationOf(a, `${what} authorization`)),
  };
}

function routesOf(server: inbound.Server, serverAuthz: readonly Authorization[]): Route[] {
  const protocol = server.protocol?.kind;
  if (protocol === undefined) throw new PolicyError('INVALID_SERVER', 'the server has no protocol');
  const defaultRoute = (): Route[] => [{ meta: DEFAULT_ROUTE_META, hosts: [], matches: [MATCH_ALL], authorizations: serverAuthz }];
  switch (protocol.$case) {
    case 'detect':
    case 'http1':
    case 'http2': {
      const routes = protocol.$case === 'detect' ? protocol.value.httpRoutes : protocol.value.routes;
      return routes.length === 0 ? defaultRoute() : routes.map((r, i) => routeOf(r, i, httpMatchOf));
    }
    case 'grpc':
      return protocol.value.routes.length === 0 ? defaultRoute() : protocol.value.routes.map((r, i) => routeOf(r, i, grpcMatchOf));
    case 'opaque':
    case 'tls':
      // Not HTTP to Linkerd; this proxy only speaks HTTP, so the server's authorizations decide every request.
      return defaultRoute();
  }
}

function rateOf(limit: inbound.HttpLocalRateLimit_Limit | undefined, what: string): number | undefined {
  if (limit === undefined) return undefined;
  if (limit.requestsPerSecond <= 0) throw new PolicyError('INVALID_RATE', `${what}: requests per second must be > 0`);
  return limit.requestsPerSecond;
}

function rateLimitOf(rl: inbound.HttpLocalRateLimit | undefined): RateLimitSpec | undefined {
  if (rl === undefined) return undefined;
  return validateRateLimit({
    meta: metaOf(rl.metadata),
    totalRps: rateOf(rl.total, 'total'),
    identityRps: rateOf(rl.identity, 'identity'),
    overrides: rl.overrides.map((o, i) => {
      const rps = rateOf(o.limit, `overrides[${i}]`);
      if (rps === undefined) throw new PolicyError('INVALID_RATE', `overrides[${i}]: the limit is missing`);
      return { rps, clients: (o.clients?.identities ?? []).map((id) => id.name) };
    }),
  });
}

/**
 * Translates a `Server` from InboundServerPolicies into the policy model, validating all of it:
 * a network without an address or with a prefix length out of range (INVALID_CIDR), an
 * authorization without networks or authentication (INVALID_AUTHORIZATION), a bad route regex or
 * method (INVALID_ROUTE), a rate of 0 or above the total (INVALID_RATE), no protocol
 * (INVALID_SERVER). The caller keeps its last valid policy when this throws.
 */
export function policyFromServer(server: inbound.Server): InboundPolicy {
  const serverAuthz = server.authorizations.map((a) => authorizationOf(a));
  return {
    server: metaOf(undefined, server.labels),
    routes: routesOf(server, serverAuthz),
    rateLimit: rateLimitOf(server.httpLocalRateLimit),
  };
}
