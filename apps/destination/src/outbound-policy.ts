import type { Service } from '@trellis/kube';
import { namespaceOf } from '@trellis/kube';
import type {
  Backend,
  Duration,
  FailureAccrual,
  GrpcRoute,
  GrpcRoute_Distribution,
  GrpcRoute_Filter,
  GrpcRoute_Retry,
  HttpRoute,
  HttpRoute_Distribution,
  HttpRoute_Filter,
  HttpRoute_Retry,
  Metadata,
  OpaqueRoute,
  OutboundPolicy,
  httpRoute,
} from '@trellis/proto';
import { serviceFqdn } from './authority';
import {
  POLICY_DETECT_TIMEOUT_MS,
  POLICY_EWMA_DECAY_MS,
  POLICY_EWMA_DEFAULT_RTT_MS,
  POLICY_FAILFAST_TIMEOUT_MS,
  POLICY_QUEUE_CAPACITY,
  POLICY_RETRY_DEFAULT_LIMIT,
  POLICY_RETRY_JITTER_RATIO,
  POLICY_RETRY_MAX_BACKOFF_MS,
  POLICY_RETRY_MAX_REQUEST_BYTES,
  POLICY_RETRY_MIN_BACKOFF_MS,
} from './defaults';
import { nanosToDuration } from './go-duration';
import type { RetryAnnotations, RouteAnnotations, StatusRange, TimeoutAnnotations } from './linkerd-route-annotations';
import { GRPC_RETRY_CODES, parseFailureAccrual, parseRouteAnnotations } from './linkerd-route-annotations';
import { profileMatches, profileRetryRanges } from './profile-routes';
import type { ProfileParts } from './profile-translation';
import type { BackendRef, GrpcRule, HttpRule, TranslatedRoute } from './route-translation';

// Status of a request sent to a backendRef naming a Service that does not exist (Gateway API: 500), and
// the gRPC status for the same (GRPCRoute: UNAVAILABLE).
const MISSING_BACKEND_HTTP_STATUS = 500;
const MISSING_BACKEND_GRPC_CODE = 14;
// Statuses retried by an HTTPRoute `retry` that lists no codes (Linkerd's retry.linkerd.io/http: 5xx).
const DEFAULT_RETRY_RANGES: StatusRange[] = [{ start: 500, end: 599 }];
const GATEWAY_GROUP = 'gateway.networking.k8s.io';

export interface PolicyTarget {
  service: Service;
  port: number;
  /** The client's namespace (from TrafficSpec.source_workload); undefined when unknown. */
  clientNamespace: string | undefined;
}

export interface PolicyContext {
  clusterDomain: string;
  /** Every accepted route, of any namespace; the builder picks those attached to the target. */
  routes: Iterable<TranslatedRoute>;
  serviceExists(namespace: string, name: string): boolean;
  /** The ServiceProfile in force for the target and client, if any. */
  profile?: { parts: ProfileParts; namespace: string; name: string };
}

const ms = (value: number): Duration => nanosToDuration(BigInt(value) * 1_000_000n);
const nanosOf = (d: Duration) => BigInt(d.seconds) * 1_000_000_000n + BigInt(d.nanos);

function resource(group: string, kind: string, name: string, namespace: string, port = 0): Metadata {
  return { kind: { $case: 'resource', value: { group, kind, name, namespace, section: '', port } } };
}

function serviceBackend(namespace: string, name: string, port: number, clusterDomain: string): Backend {
  return {
    metadata: resource('core', 'Service', name, namespace, port),
    kind: {
      $case: 'balancer',
      value: {
        discovery: { kind: { $case: 'dst', value: { path: `${serviceFqdn(name, namespace, clusterDomain)}:${port}` } } },
        load: { $case: 'peakEwma', value: { defaultRtt: ms(POLICY_EWMA_DEFAULT_RTT_MS), decay: ms(POLICY_EWMA_DECAY_MS) } },
      },
    },
    queue: { capacity: POLICY_QUEUE_CAPACITY, failfastTimeout: ms(POLICY_FAILFAST_TIMEOUT_MS) },
  };
}

/** A backend the proxy must not dispatch to: it carries only metadata and queue; a failure filter answers. */
function missingBackend(namespace: string, name: string, port: number): Backend {
  return { metadata: resource('core', 'Service', name, namespace, port), queue: { capacity: POLICY_QUEUE_CAPACITY, failfastTimeout: ms(POLICY_FAILFAST_TIMEOUT_MS) } };
}

const missingMessage = (ref: BackendRef<unknown>) => `backend Service ${ref.namespace}/${ref.name} not found`;

function httpDistribution(backends: BackendRef<HttpRoute_Filter>[], target: PolicyTarget, ctx: PolicyContext): HttpRoute_Distribution {
  const { service, port } = target;
  if (backends.length === 0) {
    const backend = serviceBackend(namespaceOf(service), service.metadata.name, port, ctx.clusterDomain);
    return { kind: { $case: 'firstAvailable', value: { backends: [{ backend, filters: [] }] } } };
  }
  return {
    kind: {
      $case: 'randomAvailable',
      value: {
        backends: backends.map((ref) => {
          const backendPort = ref.port ?? port;
          if (ctx.serviceExists(ref.namespace, ref.name)) {
            return { backend: { backend: serviceBackend(ref.namespace, ref.name, backendPort, ctx.clusterDomain), filters: ref.filters }, weight: ref.weight };
          }
          const fail: HttpRoute_Filter = { kind: { $case: 'failureInjector', value: { status: MISSING_BACKEND_HTTP_STATUS, message: missingMessage(ref) } } };
          return { backend: { backend: missingBackend(ref.namespace, ref.name, backendPort), filters: [fail] }, weight: ref.weight };
        }),
      },
    },
  };
}

function grpcDistribution(backends: BackendRef<GrpcRoute_Filter>[], target: PolicyTarget, ctx: PolicyContext): GrpcRoute_Distribution {
  const { service, port } = target;
  if (backends.length === 0) {
    const backend = serviceBackend(namespaceOf(service), service.metadata.name, port, ctx.clusterDomain);
    return { kind: { $case: 'firstAvailable', value: { backends: [{ backend, filters: [] }] } } };
  }
  return {
    kind: {
      $case: 'randomAvailable',
      value: {
        backends: backends.map((ref) => {
          const backendPort = ref.port ?? port;
          if (ctx.serviceExists(ref.namespace, ref.name)) {
            return { backend: { backend: serviceBackend(ref.namespace, ref.name, backendPort, ctx.clusterDomain), filters: ref.filters }, weight: ref.weight };
          }
          const fail: GrpcRoute_Filter = { kind: { $case: 'failureInjector', value: { code: MISSING_BACKEND_GRPC_CODE, message: missingMessage(ref) } } };
          return { backend: { backend: missingBackend(ref.namespace, ref.name, backendPort), filters: [fail] }, weight: ref.weight };
        }),
      },
    },
  };
}

/** Route annotations win over the route's own fields; the Service's apply when the route has none of the group. */
function timeoutsOf(annotations: TimeoutAnnotations | undefined, request?: Duration, backendRequest?: Duration): httpRoute.Timeouts | undefined {
  const stream = annotations?.request ?? request;
  const response = annotations?.response ?? backendRequest;
  const idle = annotations?.idle;
  if (!stream && !response && !idle) return undefined;
  return { ...(response ? { response } : {}), ...(idle ? { idle } : {}), ...(stream ? { stream } : {}) };
}

function defaultBackoff() {
  return { minBackoff: ms(POLICY_RETRY_MIN_BACKOFF_MS), maxBackoff: ms(POLICY_RETRY_MAX_BACKOFF_MS), jitterRatio: POLICY_RETRY_JITTER_RATIO };
}

function httpRetry(annotations: RetryAnnotations | undefined, rule?: HttpRule['retry']): HttpRoute_Retry | undefined {
  if (annotations?.http) {
    return {
      maxRetries: annotations.limit,
      maxRequestBytes: POLICY_RETRY_MAX_REQUEST_BYTES,
      conditions: { statusRanges: annotations.http },
      ...(annotations.timeout ? { timeout: annotations.timeout } : {}),
      backoff: defaultBackoff(),
    };
  }
  if (!rule) return undefined;
  const backoff = rule.backoff
    ? { minBackoff: rule.backoff, maxBackoff: nanosOf(rule.backoff) > BigInt(POLICY_RETRY_MAX_BACKOFF_MS) * 1_000_000n ? rule.backoff : ms(POLICY_RETRY_MAX_BACKOFF_MS), jitterRatio: POLICY_RETRY_JITTER_RATIO }
    : defaultBackoff();
  return {
    maxRetries: rule.attempts ?? POLICY_RETRY_DEFAULT_LIMIT,
    maxRequestBytes: POLICY_RETRY_MAX_REQUEST_BYTES,
    conditions: { statusRanges: rule.ranges.length > 0 ? rule.ranges : DEFAULT_RETRY_RANGES },
    backoff,
  };
}

function grpcRetry(annotations: RetryAnnotations | undefined): GrpcRoute_Retry | undefined {
  if (!annotations?.grpc) return undefined;
  const has = (code: keyof typeof GRPC_RETRY_CODES) => annotations.grpc?.includes(code) ?? false;
  return {
    maxRetries: annotations.limit,
    maxRequestBytes: POLICY_RETRY_MAX_REQUEST_BYTES,
    conditions: {
      cancelled: has('cancelled'),
      deadineExceeded: has('deadline-exceeded'),
      resourceExhausted: has('resource-exhausted'),
      internal: has('internal'),
      unavailable: has('unavailable'),
    },
    ...(annotations.timeout ? { timeout: annotations.timeout } : {}),
    backoff: defaultBackoff(),
  };
}

function routeMetadata(route: TranslatedRoute): Metadata {
  return resource(GATEWAY_GROUP, route.kind, route.name, route.namespace);
}

function toHttpRoute(route: TranslatedRoute, service: RouteAnnotations, target: PolicyTarget, ctx: PolicyContext): HttpRoute {
  const timeoutAnnotations = route.annotations.timeouts ?? service.timeouts;
  const retryAnnotations = route.annotations.retry ?? service.retry;
  return {
    metadata: routeMetadata(route),
    hosts: route.hosts,
    rules: route.http.map((rule) => {
      const timeouts = timeoutsOf(timeoutAnnotations, rule.request, rule.backendRequest);
      const retry = httpRetry(retryAnnotations, rule.retry);
      return {
        matches: rule.matches,
        filters: rule.filters,
        backends: httpDistribution(rule.backends, target, ctx),
        ...(timeouts?.stream ? { requestTimeout: timeouts.stream } : {}),
        ...(timeouts ? { timeouts } : {}),
        ...(retry ? { retry } : {}),
        allowL5dRequestHeaders: false,
      };
    }),
  };
}

function toGrpcRoute(route: TranslatedRoute, service: RouteAnnotations, target: PolicyTarget, ctx: PolicyContext): GrpcRoute {
  const timeouts = timeoutsOf(route.annotations.timeouts ?? service.timeouts);
  const retry = grpcRetry(route.annotations.retry ?? service.retry);
  return {
    metadata: routeMetadata(route),
    hosts: route.hosts,
    rules: route.grpc.map((rule: GrpcRule) => ({
      matches: rule.matches,
      filters: rule.filters,
      backends: grpcDistribution(rule.backends, target, ctx),
      ...(timeouts?.stream ? { requestTimeout: timeouts.stream } : {}),
      ...(timeouts ? { timeouts } : {}),
      ...(retry ? { retry } : {}),
      allowL5dRequestHeaders: false,
    })),
  };
}

const everyPath = (): httpRoute.HttpRouteMatch => ({ path: { kind: { $case: 'prefix', value: '/' } }, headers: [], queryParams: [] });

/** Linkerd's default route: every request to the Service itself (or its profile's traffic split), with the Service's annotations. */
function defaultHttpRoute(service: RouteAnnotations, distribution: HttpRoute_Distribution): HttpRoute {
  const timeouts = timeoutsOf(service.timeouts);
  const retry = httpRetry(service.retry);
  return {
    metadata: { kind: { $case: 'default', value: 'http' } },
    hosts: [],
    rules: [
      {
        matches: [everyPath()],
        filters: [],
        backends: distribution,
        ...(timeouts?.stream ? { requestTimeout: timeouts.stream } : {}),
        ...(timeouts ? { timeouts } : {}),
        ...(retry ? { retry } : {}),
        allowL5dRequestHeaders: false,
      },
    ],
  };
}

/** A ServiceProfile's dst_overrides as a weighted split over their authorities, or the Service itself. */
function profileDistribution(parts: ProfileParts, target: PolicyTarget, ctx: PolicyContext): HttpRoute_Distribution {
  const overrides = parts.dstOverrides.filter((d) => d.weight > 0);
  if (overrides.length === 0) return httpDistribution([], target, ctx);
  return {
    kind: {
      $case: 'randomAvailable',
      value: {
        backends: overrides.map((dst) => {
          const backend = serviceBackend(namespaceOf(target.service), target.service.metadata.name, target.port, ctx.clusterDomain);
          backend.metadata = { kind: { $case: 'default', value: dst.authority } };
          backend.kind = {
            $case: 'balancer',
            value: {
              discovery: { kind: { $case: 'dst', value: { path: dst.authority } } },
              load: { $case: 'peakEwma', value: { defaultRtt: ms(POLICY_EWMA_DEFAULT_RTT_MS), decay: ms(POLICY_EWMA_DECAY_MS) } },
            },
          };
          return { backend: { backend, filters: [] }, weight: dst.weight };
        }),
      },
    },
  };
}

/**
 * The ServiceProfile's routes as one HttpRoute (its expressible routes, in order), followed by the default
 * route with its traffic split: unmatched requests still reach the Service, as with GetProfile.
 */
function profileHttpRoutes(profile: NonNullable<PolicyContext['profile']>, target: PolicyTarget, ctx: PolicyContext): HttpRoute[] {
  const distribution = profileDistribution(profile.parts, target, ctx);
  const rules: HttpRoute['rules'] = [];
  for (const route of profile.parts.routes) {
    const matches = profileMatches(route.condition);
    if (!matches.ok) continue;
    const timeout = route.timeout && nanosOf(route.timeout) > 0n ? route.timeout : undefined;
    rules.push({
      matches: matches.matches,
      filters: [],
      backends: distribution,
      ...(timeout ? { requestTimeout: timeout, timeouts: { stream: timeout } } : {}),
      ...(route.isRetryable
        ? { retry: { maxRetries: POLICY_RETRY_DEFAULT_LIMIT, maxRequestBytes: POLICY_RETRY_MAX_REQUEST_BYTES, conditions: { statusRanges: profileRetryRanges(route) }, backoff: defaultBackoff() } }
        : {}),
      allowL5dRequestHeaders: false,
    });
  }
  // As in Linkerd, a ServiceProfile's routes make the retry and timeout annotations of the Service moot.
  const fallback = defaultHttpRoute({ problems: [] }, distribution);
  if (rules.length === 0) return [fallback];
  return [{ metadata: resource('linkerd.io', 'ServiceProfile', profile.name, profile.namespace), hosts: [], rules }, fallback];
}

function defaultOpaqueRoute(target: PolicyTarget, ctx: PolicyContext): OpaqueRoute {
  const backend = serviceBackend(namespaceOf(target.service), target.service.metadata.name, target.port, ctx.clusterDomain);
  return { metadata: { kind: { $case: 'default', value: 'opaq' } }, rules: [{ backends: { kind: { $case: 'firstAvailable', value: { backends: [{ backend }] } } } }] };
}

/** A route applies to the target when one of its parents is the Service, on the target's port (or any port). */
function attached(route: TranslatedRoute, target: PolicyTarget): boolean {
  const namespace = namespaceOf(target.service);
  const ports = target.service.spec?.ports ?? [];
  return route.parents.some((p) => {
    if (p.namespace !== namespace || p.name !== target.service.metadata.name) return false;
    if (p.port !== undefined && p.port !== target.port) return false;
    if (p.sectionName !== undefined) return ports.some((sp) => sp.name === p.sectionName && sp.port === target.port);
    return true;
  });
}

// Oldest first; routes without a creation time (fs manifests) after those with one, as Linkerd orders them.
const byAge = (a: TranslatedRoute, b: TranslatedRoute) =>
  Number(a.createdAt === '') - Number(b.createdAt === '') ||
  a.createdAt.localeCompare(b.createdAt) ||
  a.namespace.localeCompare(b.namespace) ||
  a.name.localeCompare(b.name);

/**
 * GAMMA scoping: a route in the Service's namespace is a producer route, for every client; a route in the
 * client's own namespace is a consumer route, for that client only, and when it has any, they replace the
 * producer routes entirely. Older routes first (Gateway API's tie-break).
 */
export function routesFor(target: PolicyTarget, routes: Iterable<TranslatedRoute>): TranslatedRoute[] {
  const serviceNamespace = namespaceOf(target.service);
  const candidates = [...routes].filter((r) => attached(r, target));
  const consumer = target.clientNamespace && target.clientNamespace !== serviceNamespace ? candidates.filter((r) => r.namespace === target.clientNamespace) : [];
  const chosen = consumer.length > 0 ? consumer : candidates.filter((r) => r.namespace === serviceNamespace);
  return chosen.sort(byAge);
}

/**
 * The OutboundPolicy of a Service port for one client. GRPCRoutes make it gRPC; else HTTPRoutes (or the
 * ServiceProfile, or the default route) under HTTP/1-HTTP/2 detection. With any route attached there is no
 * default route: requests no rule matches get 404 (GAMMA).
 */
export function buildOutboundPolicy(target: PolicyTarget, ctx: PolicyContext): OutboundPolicy {
  const annotations = target.service.metadata.annotations;
  const service = parseRouteAnnotations(annotations);
  const failureAccrual: FailureAccrual | undefined = parseFailureAccrual(annotations).accrual;
  const accrual = failureAccrual ? { failureAccrual } : {};
  const metadata = resource('core', 'Service', target.service.metadata.name, namespaceOf(target.service), target.port);
  const routes = routesFor(target, ctx.routes);
  const grpc = routes.filter((r) => r.kind === 'GRPCRoute');
  if (grpc.length > 0) {
    return { metadata, protocol: { kind: { $case: 'grpc', value: { routes: grpc.map((r) => toGrpcRoute(r, service, target, ctx)), ...accrual } } } };
  }
  const http = routes.filter((r) => r.kind === 'HTTPRoute').map((r) => toHttpRoute(r, service, target, ctx));
  const httpRoutes =
    http.length > 0 ? http : ctx.profile ? profileHttpRoutes(ctx.profile, target, ctx) : [defaultHttpRoute(service, httpDistribution([], target, ctx))];
  return {
    metadata,
    protocol: {
      kind: {
        $case: 'detect',
        value: {
          timeout: ms(POLICY_DETECT_TIMEOUT_MS),
          opaque: { routes: [defaultOpaqueRoute(target, ctx)] },
          http1: { routes: httpRoutes, ...accrual },
          http2: { routes: httpRoutes, ...accrual },
        },
      },
    },
  };
}
