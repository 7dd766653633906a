import type {
  Backend,
  ExponentialBackoff,
  GrpcRoute,
  GrpcRoute_Distribution,
  GrpcRoute_Filter,
  GrpcRoute_Retry,
  HttpRoute,
  HttpRoute_Distribution,
  HttpRoute_Filter,
  HttpRoute_Retry,
  Metadata,
  OutboundPolicy,
  grpcRoute,
  httpRoute,
} from '@trellis/proto';
import { Scheme_Registered } from '@trellis/proto';
import { durationMs, MAX_REPLAYABLE_BODY_BYTES, methodName } from './from-profile';
import { anchoredRegex } from './match';
import {
  DEFAULT_ROUTE_NAME,
  DEFAULT_RULE,
  type Filter,
  type GrpcMatch,
  type HeaderModifier,
  type HostMatch,
  type HttpMatch,
  type PathMatch,
  type PathRewrite,
  type Retry,
  type Route,
  type RouteBackend,
  type RouteTable,
  type Rule,
  type Timeouts,
  type ValueMatch,
} from './model';

/** Gateway API: a RequestRedirect without a status answers 302; the proxy API's 0 means "unset". */
export const DEFAULT_REDIRECT_STATUS = 302;
/** HTTP status and gRPC code of a backend the proxy cannot dispatch to (Gateway API: 500; GRPCRoute: UNAVAILABLE). */
const UNDISPATCHABLE_STATUS = 500;
const UNDISPATCHABLE_GRPC_CODE = 14;
/** gRPC status codes of GrpcRoute.Retry.Conditions (grpc/doc/statuscodes.md). */
const GRPC_CANCELLED = 1;
const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_RESOURCE_EXHAUSTED = 8;
const GRPC_INTERNAL = 13;
const GRPC_UNAVAILABLE = 14;
/** Retry conditions of a retry that lists none: Linkerd's `retry.linkerd.io/http: 5xx`. */
const DEFAULT_RETRY_STATUSES = [{ start: 500, end: 599 }];

const decoder = new TextDecoder();

function routeName(metadata: Metadata | undefined): string {
  const kind = metadata?.kind;
  if (kind?.$case === 'resource') return kind.value.name;
  return DEFAULT_ROUTE_NAME;
}

function routeSource(metadata: Metadata | undefined): Route['source'] {
  const kind = metadata?.kind;
  if (kind?.$case !== 'resource') return 'default';
  return kind.value.kind === 'ServiceProfile' ? 'profile' : 'gateway';
}

function hostMatch(h: httpRoute.HostMatch): HostMatch | undefined {
  const m = h.match;
  if (m === undefined) return undefined;
  if (m.$case === 'exact') return { kind: 'exact', host: m.value.toLowerCase() };
  return { kind: 'suffix', suffix: [...m.value.reverseLabels].reverse().join('.').toLowerCase() };
}

function valueMatch(name: string, value: { $case: 'exact' | 'regex'; value: string } | undefined): ValueMatch | undefined {
  if (value === undefined) return undefined;
  if (value.$case === 'exact') return { name, kind: 'exact', value: value.value, regex: undefined };
  const regex = anchoredRegex(value.value);
  // An invalid regex never matches (the route cannot capture traffic by accident).
  return { name, kind: 'regex', value: value.value, regex: regex ?? undefined };
}

function valueMatches(list: readonly { name: string; value?: { $case: 'exact' | 'regex'; value: string } | undefined }[], lower: boolean): ValueMatch[] {
  const out: ValueMatch[] = [];
  for (const m of list) {
    const v = valueMatch(lower ? m.name.toLowerCase() : m.name, m.value);
    if (v !== undefined) out.push(v);
  }
  return out;
}

function pathMatch(p: httpRoute.PathMatch | undefined): PathMatch | undefined | null {
  const k = p?.kind;
  if (k === undefined) return undefined;
  if (k.$case === 'exact') return { kind: 'exact', value: k.value };
  if (k.$case === 'prefix') return { kind: 'prefix', value: k.value };
  const regex = anchoredRegex(k.value);
  return regex === null ? null : { kind: 'regex', value: k.value, regex };
}

/** null: the match can never match (an invalid path regex). */
function httpMatch(m: httpRoute.HttpRouteMatch): HttpMatch | null {
  const path = pathMatch(m.path);
  if (path === null) return null;
  return { kind: 'http', path, headers: valueMatches(m.headers, true), query: valueMatches(m.queryParams, false), method: methodName(m.method) };
}

function grpcMatch(m: grpcRoute.GrpcRouteMatch): GrpcMatch {
  const service = m.rpc?.service ?? '';
  const method = m.rpc?.method ?? '';
  return { kind: 'grpc', service: service === '' ? undefined : service, method: method === '' ? undefined : method, headers: valueMatches(m.headers, true) };
}

function headerPairs(h: { headers: { name: string; value: Uint8Array }[] } | undefined): [string, string][] {
  return (h?.headers ?? []).map((x) => [x.name, decoder.decode(x.value)]);
}

function headerModifier(m: httpRoute.RequestHeaderModifier | httpRoute.ResponseHeaderModifier): HeaderModifier {
  return { add: headerPairs(m.add), set: headerPairs(m.set), remove: m.remove };
}

function pathRewrite(p: httpRoute.PathModifier | undefined): PathRewrite | undefined {
  const r = p?.replace;
  if (r === undefined) return undefined;
  return r.$case === 'full' ? { kind: 'full', value: r.value } : { kind: 'prefix', value: r.value };
}

function ratioOf(r: httpRoute.Ratio | undefined): number {
  if (r === undefined || r.denominator === 0) return 1;
  return Math.min(1, r.numerator / r.denominator);
}

function schemeOf(s: httpRoute.RequestRedirect['scheme']): string | undefined {
  const t = s?.type;
  if (t === undefined) return undefined;
  if (t.$case === 'unregistered') return t.value.toLowerCase();
  return t.value === Scheme_Registered.HTTPS ? 'https' : 'http';
}

function httpFilter(f: HttpRoute_Filter): Filter | undefined {
  const k = f.kind;
  switch (k?.$case) {
    case 'requestHeaderModifier':
      return { kind: 'request-headers', modifier: headerModifier(k.value) };
    case 'responseHeaderModifier':
      return { kind: 'response-headers', modifier: headerModifier(k.value) };
    case 'redirect': {
      const r = k.value;
      return {
        kind: 'redirect',
        scheme: schemeOf(r.scheme),
        host: r.host === '' ? undefined : r.host,
        port: r.port === 0 ? undefined : r.port,
        path: pathRewrite(r.path),
        status: r.status === 0 ? DEFAULT_REDIRECT_STATUS : r.status,
      };
    }
    case 'urlRewrite':
      return { kind: 'url-rewrite', host: k.value.hostname === '' ? undefined : k.value.hostname, path: pathRewrite(k.value.path) };
    case 'failureInjector':
      return { kind: 'failure', status: k.value.status, grpcCode: undefined, message: k.value.message, ratio: ratioOf(k.value.ratio) };
    case undefined:
      return undefined;
  }
}

function grpcFilter(f: GrpcRoute_Filter): Filter | undefined {
  const k = f.kind;
  switch (k?.$case) {
    case 'requestHeaderModifier':
      return { kind: 'request-headers', modifier: headerModifier(k.value) };
    case 'failureInjector':
      return { kind: 'failure', status: 200, grpcCode: k.value.code, message: k.value.message, ratio: ratioOf(k.value.ratio) };
    case undefined:
      return undefined;
  }
}

function defined<T>(x: T | undefined): x is T {
  return x !== undefined;
}

const UNDISPATCHABLE: Filter = Object.freeze({
  kind: 'failure',
  status: UNDISPATCHABLE_STATUS,
  grpcCode: UNDISPATCHABLE_GRPC_CODE,
  message: 'the backend cannot be dispatched to',
  ratio: 1,
});

/**
 * A backend as the proxy uses it: a balancer over `Destination.Get(path)`. A backend with no kind (a
 * missing Service: the destination adds a failure filter) or of a kind this proxy does not dispatch
 * to (`forward`) has no authority; without a failure filter of its own it answers 500 / UNAVAILABLE.
 */
function routeBackend(backend: Backend | undefined, weight: number, filters: Filter[]): RouteBackend {
  const k = backend?.kind;
  const path = k?.$case === 'balancer' && k.value.discovery?.kind?.$case === 'dst' ? k.value.discovery.kind.value.path : undefined;
  if (path !== undefined && path !== '') return { authority: path, weight, filters };
  const failing = filters.some((f) => f.kind === 'failure') ? filters : [...filters, UNDISPATCHABLE];
  return { authority: undefined, weight, filters: failing };
}

function httpBackends(d: HttpRoute_Distribution | undefined): RouteBackend[] {
  const k = d?.kind;
  switch (k?.$case) {
    case 'firstAvailable': {
      const first = k.value.backends[0];
      return first === undefined ? [] : [routeBackend(first.backend, 1, first.filters.map(httpFilter).filter(defined))];
    }
    case 'randomAvailable':
      return k.value.backends
        .filter((b) => b.weight > 0)
        .map((b) => routeBackend(b.backend?.backend, b.weight, (b.backend?.filters ?? []).map(httpFilter).filter(defined)));
    case 'empty':
    case undefined:
      return [];
  }
}

function grpcBackends(d: GrpcRoute_Distribution | undefined): RouteBackend[] {
  const k = d?.kind;
  switch (k?.$case) {
    case 'firstAvailable': {
      const first = k.value.backends[0];
      return first === undefined ? [] : [routeBackend(first.backend, 1, first.filters.map(grpcFilter).filter(defined))];
    }
    case 'randomAvailable':
      return k.value.backends
        .filter((b) => b.weight > 0)
        .map((b) => routeBackend(b.backend?.backend, b.weight, (b.backend?.filters ?? []).map(grpcFilter).filter(defined)));
    case 'empty':
    case undefined:
      return [];
  }
}

function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

/** `timeouts.stream` (or the deprecated requestTimeout) over the request; `timeouts.response` and the retry's timeout per attempt. */
function timeoutsOf(rule: HttpRoute['rules'][number] | GrpcRoute['rules'][number]): Timeouts {
  return {
    requestMs: durationMs(rule.timeouts?.stream) ?? durationMs(rule.requestTimeout),
    backendRequestMs: minDefined(durationMs(rule.timeouts?.response), durationMs(rule.retry?.timeout)),
  };
}

function backoffOf(b: ExponentialBackoff | undefined): Retry['backoff'] {
  const minMs = durationMs(b?.minBackoff);
  if (minMs === undefined) return undefined;
  const maxMs = Math.max(minMs, durationMs(b?.maxBackoff) ?? minMs);
  const jitter = Number.isFinite(b?.jitterRatio) && (b?.jitterRatio ?? 0) > 0 ? (b?.jitterRatio as number) : 0;
  return { minMs, maxMs, jitter };
}

function retryBase(r: HttpRoute_Retry | GrpcRoute_Retry): Omit<Retry, 'on'> {
  return {
    maxRetries: r.maxRetries,
    maxRequestBytes: r.maxRequestBytes > 0 ? r.maxRequestBytes : MAX_REPLAYABLE_BODY_BYTES,
    budgeted: false,
    backoff: backoffOf(r.backoff),
  };
}

function httpRetry(r: HttpRoute_Retry | undefined): Retry | undefined {
  if (r === undefined || r.maxRetries === 0) return undefined;
  const ranges = r.conditions?.statusRanges ?? [];
  return { ...retryBase(r), on: { kind: 'status', ranges: ranges.length > 0 ? ranges.map((x) => ({ start: x.start, end: x.end })) : DEFAULT_RETRY_STATUSES } };
}

function grpcRetry(r: GrpcRoute_Retry | undefined): Retry | undefined {
  if (r === undefined || r.maxRetries === 0) return undefined;
  const c = r.conditions;
  const codes = [
    c?.cancelled ? GRPC_CANCELLED : undefined,
    c?.deadineExceeded ? GRPC_DEADLINE_EXCEEDED : undefined,
    c?.resourceExhausted ? GRPC_RESOURCE_EXHAUSTED : undefined,
    c?.internal ? GRPC_INTERNAL : undefined,
    c?.unavailable ? GRPC_UNAVAILABLE : undefined,
  ].filter(defined);
  if (codes.length === 0) return undefined;
  return { ...retryBase(r), on: { kind: 'grpc', codes } };
}

function fromHttpRoute(route: HttpRoute): Route {
  const name = routeName(route.metadata);
  return {
    name,
    source: routeSource(route.metadata),
    hosts: route.hosts.map(hostMatch).filter(defined),
    rules: route.rules.map(
      (rule): Rule => ({
        name,
        matches: rule.matches.map(httpMatch).filter((m): m is HttpMatch => m !== null),
        filters: rule.filters.map(httpFilter).filter(defined),
        backends: httpBackends(rule.backends),
        timeouts: timeoutsOf(rule),
        retry: httpRetry(rule.retry),
        classes: [],
      }),
    ).filter((rule, i) => rule.matches.length > 0 || (route.rules[i]?.matches.length ?? 0) === 0),
  };
}

function fromGrpcRoute(route: GrpcRoute): Route {
  const name = routeName(route.metadata);
  return {
    name,
    source: routeSource(route.metadata),
    hosts: route.hosts.map(hostMatch).filter(defined),
    rules: route.rules.map(
      (rule): Rule => ({
        name,
        matches: rule.matches.map(grpcMatch),
        filters: rule.filters.map(grpcFilter).filter(defined),
        backends: grpcBackends(rule.backends),
        timeouts: timeoutsOf(rule),
        retry: grpcRetry(rule.retry),
        classes: [],
      }),
    ),
  };
}

/** The HTTP or gRPC routes a policy carries; undefined for an opaque (or empty) protocol. */
function policyRoutes(policy: OutboundPolicy): Route[] | undefined {
  const k = policy.protocol?.kind;
  switch (k?.$case) {
    case 'detect': {
      const http = k.value.http1 ?? k.value.http2;
      return http?.routes.map(fromHttpRoute);
    }
    case 'http1':
    case 'http2':
      return k.value.routes.map(fromHttpRoute);
    case 'grpc':
      return k.value.routes.map(fromGrpcRoute);
    case 'opaque':
    case undefined:
      return undefined;
  }
}

/**
 * An OutboundPolicy as a route table: every HttpRoute/GrpcRoute rule, selected by Gateway API
 * precedence; a request no rule matches gets 404 (GAMMA). A policy without HTTP or gRPC routes
 * (opaque) routes every request to the service itself. An invalid path regex makes its match
 * never match; a rule left with no match is dropped.
 */
export function tableFromPolicy(policy: OutboundPolicy): RouteTable {
  const routes = policyRoutes(policy);
  if (routes === undefined) return { selection: 'in-order', routes: [], fallback: DEFAULT_RULE, budget: undefined, origin: 'policy' };
  return { selection: 'gamma', routes, fallback: undefined, budget: undefined, origin: 'policy' };
}

/** Whether a table carries Gateway API routes (not only the default route or a translated ServiceProfile). */
export function hasGatewayRoutes(table: RouteTable): boolean {
  return table.routes.some((r) => r.source === 'gateway');
}
