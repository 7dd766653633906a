import { HttpMethod_Registered, type DestinationProfile, type Duration, type HttpMethod, type RequestMatch as ProfileRequestMatch, type ResponseMatch, type Route as ProfileRoute } from '@trellis/proto';
import { anchoredRegex } from './match';
import { DEFAULT_RULE, type ResponseClass, type Retry, type Route, type RouteBackend, type RouteTable, type Rule, type StatusPredicate } from './model';

/** Linkerd: a ServiceProfile route without `timeout` times out after 10 s. */
export const DEFAULT_ROUTE_TIMEOUT_MS = 10_000;
/** Linkerd: request bodies up to 64 KiB are buffered so that a retry can replay them. */
export const MAX_REPLAYABLE_BODY_BYTES = 64 * 1024;

type Predicate = (method: string, path: string) => boolean;
const NEVER = () => false;

export function durationMs(d: Duration | undefined): number | undefined {
  if (d === undefined) return undefined;
  const ms = Number(d.seconds) * 1000 + d.nanos / 1e6;
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}

export function methodName(method: HttpMethod | undefined): string | undefined {
  const t = method?.type;
  if (t === undefined) return undefined;
  if (t.$case === 'unregistered') return t.value.toUpperCase();
  const name = HttpMethod_Registered[t.value];
  return name === undefined || name === 'UNRECOGNIZED' ? undefined : name;
}

/**
 * Compiles a ServiceProfile request condition. An invalid regex or an empty condition never
 * matches, so a broken route cannot capture traffic meant for the routes after it. `pathRegex`
 * must match the whole path (not a substring), without the query.
 */
export function compileCondition(m: ProfileRequestMatch | undefined): Predicate {
  const match = m?.match;
  if (match === undefined) return NEVER;
  switch (match.$case) {
    case 'all': {
      const parts = match.value.matches.map(compileCondition);
      return (method, path) => parts.every((p) => p(method, path));
    }
    case 'any': {
      const parts = match.value.matches.map(compileCondition);
      return (method, path) => parts.some((p) => p(method, path));
    }
    case 'not': {
      const inner = compileCondition(match.value);
      return (method, path) => !inner(method, path);
    }
    case 'path': {
      const re = anchoredRegex(match.value.regex);
      if (re === null) return NEVER;
      return (_method, path) => re.test(path);
    }
    case 'method': {
      const name = methodName(match.value);
      if (name === undefined) return NEVER;
      return (method) => method === name;
    }
  }
}

export function compileResponseMatch(m: ResponseMatch | undefined): StatusPredicate {
  const match = m?.match;
  if (match === undefined) return NEVER;
  switch (match.$case) {
    case 'all': {
      const parts = match.value.matches.map(compileResponseMatch);
      return (status) => parts.every((p) => p(status));
    }
    case 'any': {
      const parts = match.value.matches.map(compileResponseMatch);
      return (status) => parts.some((p) => p(status));
    }
    case 'not': {
      const inner = compileResponseMatch(match.value);
      return (status) => !inner(status);
    }
    case 'status': {
      const { min, max } = match.value;
      return (status) => status >= min && status <= max;
    }
  }
}

/** Linkerd: a retryable profile route retries its failures while the budget allows, with no count limit. */
const PROFILE_RETRY: Retry = Object.freeze({
  maxRetries: Infinity,
  on: { kind: 'failure-class' } as const,
  maxRequestBytes: MAX_REPLAYABLE_BODY_BYTES,
  budgeted: true,
  backoff: undefined,
});

function profileRule(route: ProfileRoute, index: number, backends: readonly RouteBackend[]): Rule {
  const classes: ResponseClass[] = route.responseClasses.map((c) => ({ matches: compileResponseMatch(c.condition), isFailure: c.isFailure }));
  return {
    name: route.metricsLabels['route'] ?? `route-${index}`,
    matches: [{ kind: 'condition', test: compileCondition(route.condition) }],
    filters: [],
    backends,
    timeouts: { requestMs: durationMs(route.timeout) ?? DEFAULT_ROUTE_TIMEOUT_MS, backendRequestMs: undefined },
    retry: route.isRetryable ? PROFILE_RETRY : undefined,
    classes,
  };
}

export interface ProfileOptions {
  /** The canonical `svc.ns.svc.<domain>:port` of a `dstOverrides` authority; undefined: not a mesh service (left out). */
  resolveAuthority(authority: string): string | undefined;
}

/**
 * A DestinationProfile (GetProfile) as a route table: its routes in order (first match wins), then
 * Linkerd's default route for the rest; its traffic split as every rule's backends; its retry budget.
 * A null profile (none, or the destination rejected the name) gives the default route only.
 */
export function tableFromProfile(profile: DestinationProfile | null, opts: ProfileOptions): RouteTable {
  const backends: RouteBackend[] = [];
  for (const dst of profile?.dstOverrides ?? []) {
    const authority = opts.resolveAuthority(dst.authority);
    if (authority === undefined || !(dst.weight > 0)) continue;
    backends.push({ authority, weight: dst.weight, filters: [] });
  }
  const rules = (profile?.routes ?? []).map((r, i) => profileRule(r, i, backends));
  const routes: Route[] = rules.length === 0 ? [] : [{ name: profile?.fullyQualifiedName ?? '', source: 'profile', hosts: [], rules }];
  const rb = profile?.retryBudget;
  return {
    selection: 'in-order',
    routes,
    fallback: backends.length === 0 ? DEFAULT_RULE : { ...DEFAULT_RULE, backends },
    budget: rb === undefined ? undefined : { ratio: rb.retryRatio, minRetriesPerSecond: rb.minRetriesPerSecond, ttlMs: durationMs(rb.ttl) },
    origin: profile === null ? 'default' : 'profile',
  };
}
