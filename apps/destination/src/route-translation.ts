import type { GRPCRoute, HTTPRoute, ParentReference } from '@trellis/kube';
import { namespaceOf } from '@trellis/kube';
import type { Duration, GrpcRoute_Filter, Headers, HttpMethod, HttpRoute_Filter, grpcRoute, httpRoute } from '@trellis/proto';
import { HttpMethod_Registered, Scheme_Registered } from '@trellis/proto';
import { GATEWAY_DEFAULT_BACKEND_WEIGHT, MAX_ROUTE_REGEX_CHARS } from './defaults';
import { nanosToDuration, parseGoDuration } from './go-duration';
import type { RouteAnnotations, StatusRange } from './linkerd-route-annotations';
import { parseRouteAnnotations } from './linkerd-route-annotations';
import { checkRouteStructure } from './route-schema';

export type RouteKind = 'HTTPRoute' | 'GRPCRoute';

/** Why a route (or one of its parents) is not accepted; a label of destination_route_invalid_total. */
export type RouteInvalidReason = 'Malformed' | 'InvalidRegex' | 'InvalidDuration' | 'ZeroWeights' | 'UnsupportedValue' | 'NoMatchingParent';

/** A parentRef naming a Service (GAMMA): group "" (or "core") and kind Service. */
export interface RouteParent {
  namespace: string;
  name: string;
  port?: number;
  sectionName?: string;
}

export interface BackendRef<F> {
  namespace: string;
  name: string;
  /** Undefined: the parent's port. */
  port?: number;
  weight: number;
  filters: F[];
}

export interface HttpRule {
  matches: httpRoute.HttpRouteMatch[];
  filters: HttpRoute_Filter[];
  /** Empty: the parent Service itself (GAMMA). */
  backends: BackendRef<HttpRoute_Filter>[];
  request?: Duration;
  backendRequest?: Duration;
  retry?: { ranges: StatusRange[]; attempts?: number; backoff?: Duration };
}

export interface GrpcRule {
  matches: grpcRoute.GrpcRouteMatch[];
  filters: GrpcRoute_Filter[];
  backends: BackendRef<GrpcRoute_Filter>[];
}

export interface TranslatedRoute {
  kind: RouteKind;
  namespace: string;
  name: string;
  /** metadata.creationTimestamp ('' when absent): older routes win ties (Gateway API). */
  createdAt: string;
  parents: RouteParent[];
  hosts: httpRoute.HostMatch[];
  annotations: RouteAnnotations;
  http: HttpRule[];
  grpc: GrpcRule[];
}

export type RouteTranslation = { ok: true; route: TranslatedRoute } | { ok: false; reason: RouteInvalidReason; message: string };

class RouteProblem extends Error {
  constructor(
    readonly reason: RouteInvalidReason,
    message: string,
  ) {
    super(message);
  }
}

// Loosely typed shapes of what the schema has checked.
interface RawHeaderMatch {
  type?: 'Exact' | 'RegularExpression';
  name: string;
  value: string;
}
interface RawHeader {
  name: string;
  value: string;
}
interface RawHeaderModifier {
  set?: RawHeader[];
  add?: RawHeader[];
  remove?: string[];
}
interface RawPathModifier {
  type: 'ReplaceFullPath' | 'ReplacePrefixMatch';
  replaceFullPath?: string;
  replacePrefixMatch?: string;
}
interface RawFilter {
  type: string;
  requestHeaderModifier?: RawHeaderModifier;
  responseHeaderModifier?: RawHeaderModifier;
  requestRedirect?: { scheme?: 'http' | 'https'; hostname?: string; path?: RawPathModifier; port?: number; statusCode?: number };
  urlRewrite?: { hostname?: string; path?: RawPathModifier };
}
interface RawBackendRef {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
  port?: number;
  weight?: number;
  filters?: RawFilter[];
}
interface RawHttpRule {
  matches?: { path?: { type?: string; value?: string }; headers?: RawHeaderMatch[]; queryParams?: RawHeaderMatch[]; method?: string }[];
  filters?: RawFilter[];
  backendRefs?: RawBackendRef[];
  timeouts?: { request?: string; backendRequest?: string };
  retry?: { codes?: number[]; attempts?: number; backoff?: string };
}
interface RawGrpcRule {
  matches?: { method?: { type?: string; service?: string; method?: string }; headers?: RawHeaderMatch[] }[];
  filters?: RawFilter[];
  backendRefs?: RawBackendRef[];
}

const CORE_GROUPS = new Set(['', 'core']);

/** Anchored, so the proxy's search covers the whole value (as Linkerd anchors regex matches). */
function regex(value: string, where: string): string {
  if (value.length > MAX_ROUTE_REGEX_CHARS) throw new RouteProblem('InvalidRegex', `${where}: regular expression longer than ${MAX_ROUTE_REGEX_CHARS} characters`);
  const anchored = `^(?:${value})$`;
  try {
    new RegExp(anchored);
  } catch (err) {
    throw new RouteProblem('InvalidRegex', `${where}: invalid regular expression ${JSON.stringify(value)}: ${(err as Error).message}`);
  }
  return anchored;
}

function duration(text: string | undefined, where: string): Duration | undefined {
  if (text === undefined) return undefined;
  const parsed = parseGoDuration(text);
  if (!parsed.ok) throw new RouteProblem('InvalidDuration', `${where}: ${parsed.reason}`);
  if (parsed.nanos < 0n) throw new RouteProblem('InvalidDuration', `${where}: negative duration ${JSON.stringify(text)}`);
  // Gateway API: a zero duration disables the timeout.
  return parsed.nanos === 0n ? undefined : nanosToDuration(parsed.nanos);
}

const nanosOf = (d: Duration) => BigInt(d.seconds) * 1_000_000_000n + BigInt(d.nanos);

function headerMatch(raw: RawHeaderMatch, where: string): httpRoute.HeaderMatch {
  const value: httpRoute.HeaderMatch['value'] =
    raw.type === 'RegularExpression' ? { $case: 'regex', value: regex(raw.value, where) } : { $case: 'exact', value: raw.value };
  return { name: raw.name.toLowerCase(), value };
}

function queryMatch(raw: RawHeaderMatch, where: string): httpRoute.QueryParamMatch {
  const value: httpRoute.QueryParamMatch['value'] =
    raw.type === 'RegularExpression' ? { $case: 'regex', value: regex(raw.value, where) } : { $case: 'exact', value: raw.value };
  return { name: raw.name, value };
}

function method(name: string): HttpMethod {
  return { type: { $case: 'registered', value: HttpMethod_Registered[name as keyof typeof HttpMethod_Registered] } };
}

function httpMatch(raw: NonNullable<RawHttpRule['matches']>[number], where: string): httpRoute.HttpRouteMatch {
  // Gateway API defaults: a match without a path is a PathPrefix "/" match.
  const type = raw.path?.type ?? 'PathPrefix';
  const value = raw.path?.value ?? '/';
  if (!value.startsWith('/') && type !== 'RegularExpression') throw new RouteProblem('Malformed', `${where}.path.value must start with "/"`);
  const kind: httpRoute.PathMatch['kind'] =
    type === 'Exact' ? { $case: 'exact', value } : type === 'RegularExpression' ? { $case: 'regex', value: regex(value, `${where}.path`) } : { $case: 'prefix', value };
  return {
    path: { kind },
    headers: (raw.headers ?? []).map((h, i) => headerMatch(h, `${where}.headers[${i}]`)),
    queryParams: (raw.queryParams ?? []).map((q, i) => queryMatch(q, `${where}.queryParams[${i}]`)),
    ...(raw.method ? { method: method(raw.method) } : {}),
  };
}

function grpcMatch(raw: NonNullable<RawGrpcRule['matches']>[number], where: string): grpcRoute.GrpcRouteMatch {
  const rpc = raw.method;
  if (rpc && rpc.type === 'RegularExpression') {
    throw new RouteProblem('UnsupportedValue', `${where}.method: RegularExpression method matches are not supported (the policy API matches service and method exactly)`);
  }
  if (rpc && !rpc.service && !rpc.method) throw new RouteProblem('Malformed', `${where}.method needs a service or a method`);
  return {
    ...(rpc ? { rpc: { service: rpc.service ?? '', method: rpc.method ?? '' } } : {}),
    headers: (raw.headers ?? []).map((h, i) => headerMatch(h, `${where}.headers[${i}]`)),
  };
}

function headers(list: RawHeader[] | undefined): Headers | undefined {
  return list && list.length > 0 ? { headers: list.map((h) => ({ name: h.name.toLowerCase(), value: Buffer.from(h.value, 'utf8') })) } : undefined;
}

function headerModifier(raw: RawHeaderModifier | undefined): httpRoute.RequestHeaderModifier {
  const add = headers(raw?.add);
  const set = headers(raw?.set);
  return { ...(add ? { add } : {}), ...(set ? { set } : {}), remove: (raw?.remove ?? []).map((h) => h.toLowerCase()) };
}

function pathModifier(raw: RawPathModifier, prefixMatched: boolean, where: string): httpRoute.PathModifier {
  if (raw.type === 'ReplaceFullPath') return { replace: { $case: 'full', value: raw.replaceFullPath ?? '/' } };
  if (!prefixMatched) throw new RouteProblem('UnsupportedValue', `${where}: ReplacePrefixMatch needs every match of the rule to be a PathPrefix match`);
  return { replace: { $case: 'prefix', value: raw.replacePrefixMatch ?? '/' } };
}

function unsupported(type: string, where: string): RouteProblem {
  return new RouteProblem('UnsupportedValue', `${where}: filter type ${type} is not supported`);
}

function httpFilter(raw: RawFilter, prefixMatched: boolean, where: string): HttpRoute_Filter {
  switch (raw.type) {
    case 'RequestHeaderModifier':
      return { kind: { $case: 'requestHeaderModifier', value: headerModifier(raw.requestHeaderModifier) } };
    case 'ResponseHeaderModifier':
      return { kind: { $case: 'responseHeaderModifier', value: headerModifier(raw.responseHeaderModifier) } };
    case 'RequestRedirect': {
      const r = raw.requestRedirect ?? {};
      return {
        kind: {
          $case: 'redirect',
          value: {
            ...(r.scheme ? { scheme: { type: { $case: 'registered', value: r.scheme === 'https' ? Scheme_Registered.HTTPS : Scheme_Registered.HTTP } } } : {}),
            host: r.hostname ?? '',
            ...(r.path ? { path: pathModifier(r.path, prefixMatched, `${where}.requestRedirect.path`) } : {}),
            port: r.port ?? 0,
            // Gateway API's default redirect status.
            status: r.statusCode ?? 302,
          },
        },
      };
    }
    case 'URLRewrite': {
      const r = raw.urlRewrite ?? {};
      return {
        kind: {
          $case: 'urlRewrite',
          value: { hostname: r.hostname ?? '', ...(r.path ? { path: pathModifier(r.path, prefixMatched, `${where}.urlRewrite.path`) } : {}) },
        },
      };
    }
    default:
      throw unsupported(raw.type, where);
  }
}

function grpcFilter(raw: RawFilter, where: string): GrpcRoute_Filter {
  if (raw.type === 'RequestHeaderModifier') return { kind: { $case: 'requestHeaderModifier', value: headerModifier(raw.requestHeaderModifier) } };
  throw unsupported(raw.type, where);
}

function backendRefs<F>(raw: RawBackendRef[] | undefined, namespace: string, filter: (f: RawFilter, where: string) => F, where: string): BackendRef<F>[] {
  const refs = (raw ?? []).map((ref, i) => {
    const at = `${where}.backendRefs[${i}]`;
    if (!CORE_GROUPS.has(ref.group ?? '') || (ref.kind ?? 'Service') !== 'Service') {
      throw new RouteProblem('UnsupportedValue', `${at}: only Services are backends (group "", kind Service)`);
    }
    return {
      namespace: ref.namespace ?? namespace,
      name: ref.name,
      ...(ref.port === undefined ? {} : { port: ref.port }),
      weight: ref.weight ?? GATEWAY_DEFAULT_BACKEND_WEIGHT,
      filters: (ref.filters ?? []).map((f, j) => filter(f, `${at}.filters[${j}]`)),
    };
  });
  if (refs.length > 0 && refs.every((r) => r.weight === 0)) throw new RouteProblem('ZeroWeights', `${where}: the weights of the backendRefs sum to 0`);
  return refs.filter((r) => r.weight > 0);
}

function httpRule(raw: RawHttpRule, namespace: string, index: number): HttpRule {
  const where = `spec.rules[${index}]`;
  // Gateway API defaults a rule without matches to one PathPrefix "/" match (the API server fills it in; fs does not).
  const rawMatches = raw.matches && raw.matches.length > 0 ? raw.matches : [{}];
  const matches = rawMatches.map((m, i) => httpMatch(m, `${where}.matches[${i}]`));
  const prefixMatched = matches.every((m) => m.path?.kind?.$case === 'prefix');
  const filterOf = (f: RawFilter, at: string) => httpFilter(f, prefixMatched, at);
  const request = duration(raw.timeouts?.request, `${where}.timeouts.request`);
  const backendRequest = duration(raw.timeouts?.backendRequest, `${where}.timeouts.backendRequest`);
  if (request && backendRequest && nanosOf(backendRequest) > nanosOf(request)) {
    throw new RouteProblem('InvalidDuration', `${where}.timeouts: backendRequest is longer than request`);
  }
  const rule: HttpRule = {
    matches,
    filters: (raw.filters ?? []).map((f, i) => filterOf(f, `${where}.filters[${i}]`)),
    backends: backendRefs(raw.backendRefs, namespace, filterOf, where),
    ...(request ? { request } : {}),
    ...(backendRequest ? { backendRequest } : {}),
  };
  if (raw.retry) {
    const backoff = duration(raw.retry.backoff, `${where}.retry.backoff`);
    rule.retry = {
      ranges: (raw.retry.codes ?? []).map((code) => ({ start: code, end: code })),
      ...(raw.retry.attempts === undefined ? {} : { attempts: raw.retry.attempts }),
      ...(backoff ? { backoff } : {}),
    };
  }
  return rule;
}

function grpcRule(raw: RawGrpcRule, namespace: string, index: number): GrpcRule {
  const where = `spec.rules[${index}]`;
  return {
    matches: (raw.matches ?? []).map((m, i) => grpcMatch(m, `${where}.matches[${i}]`)),
    filters: (raw.filters ?? []).map((f, i) => grpcFilter(f, `${where}.filters[${i}]`)),
    backends: backendRefs(raw.backendRefs, namespace, grpcFilter, where),
  };
}

/** `*.example.com` is a suffix match on [com, example]; anything else is exact. */
function hostMatch(hostname: string): httpRoute.HostMatch {
  const host = hostname.toLowerCase();
  if (host.startsWith('*.')) return { match: { $case: 'suffix', value: { reverseLabels: host.slice(2).split('.').reverse() } } };
  return { match: { $case: 'exact', value: host } };
}

/**
 * Service parents only: parentRefs to Gateways (or anything else) are not this mesh's to serve. Tolerates a
 * malformed spec (for the status of a route that failed validation).
 */
export function serviceParents(route: HTTPRoute | GRPCRoute, namespace: string): RouteParent[] {
  const refs: unknown = route.spec?.parentRefs;
  if (!Array.isArray(refs)) return [];
  return (refs as Partial<ParentReference>[])
    .filter((p): p is ParentReference => typeof p === 'object' && p !== null && typeof p.name === 'string')
    .filter((p) => CORE_GROUPS.has(p.group ?? 'gateway.networking.k8s.io') && p.kind === 'Service')
    .map((p) => ({
      namespace: p.namespace ?? namespace,
      name: p.name,
      ...(p.port === undefined ? {} : { port: p.port }),
      ...(p.sectionName === undefined ? {} : { sectionName: p.sectionName }),
    }));
}

/**
 * Validates (schema, then semantics) and translates one HTTPRoute or GRPCRoute. Pure: whether its parent
 * Services exist, and the backends' addresses, are decided when a policy is built.
 */
export function translateRoute(kind: RouteKind, route: HTTPRoute | GRPCRoute): RouteTranslation {
  const namespace = namespaceOf(route);
  const structural = checkRouteStructure(kind, route.spec);
  if (structural) return { ok: false, reason: 'Malformed', message: structural };
  try {
    const rules = route.spec.rules ?? [];
    return {
      ok: true,
      route: {
        kind,
        namespace,
        name: route.metadata.name,
        createdAt: route.metadata.creationTimestamp ?? '',
        parents: serviceParents(route, namespace),
        hosts: (route.spec.hostnames ?? []).map(hostMatch),
        annotations: parseRouteAnnotations(route.metadata.annotations),
        http: kind === 'HTTPRoute' ? (rules as RawHttpRule[]).map((r, i) => httpRule(r, namespace, i)) : [],
        grpc: kind === 'GRPCRoute' ? (rules as RawGrpcRule[]).map((r, i) => grpcRule(r, namespace, i)) : [],
      },
    };
  } catch (err) {
    if (err instanceof RouteProblem) return { ok: false, reason: err.reason, message: err.message };
    throw err;
  }
}
