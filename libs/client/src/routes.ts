import { RetryBudget, type Clock } from '@trellis/balance';
import {
  HttpMethod_Registered,
  type DestinationProfile,
  type Duration,
  type HttpMethod,
  type RequestMatch,
  type ResponseMatch,
  type Route as RouteMessage,
} from '@trellis/proto';
import { DEFAULT_ROUTE_TIMEOUT_MS } from './defaults';

/**
 * The client's whole route model, in one module: a ServiceProfile turned into routes (match, timeout,
 * retryability, response classes), a retry budget and a traffic split. It mirrors the proxy's
 * profile/route-match/classify and is meant to be replaced by `@trellis/routes` (routes from
 * OutboundPolicies and ServiceProfiles) once that library lands; nothing else in the client reads a
 * profile message.
 */

/** Linkerd's `rt_route` label for requests that match no route of the profile. */
export const DEFAULT_ROUTE_NAME = '[DEFAULT]';

export type Classification = 'success' | 'failure';
type RequestPredicate = (method: string, path: string) => boolean;
type StatusPredicate = (status: number) => boolean;

export interface Route {
  /** The `rt_route` metric label. */
  name: string;
  matches: RequestPredicate;
  classes: readonly { matches: StatusPredicate; isFailure: boolean }[];
  retryable: boolean;
  /** Covers the request and all its retries, up to the response headers; 0 means none. */
  timeoutMs: number;
}

export interface Split {
  /** A `svc.ns.svc.<domain>:port` authority with its own resolution. */
  authority: string;
  weight: number;
}

export interface RouteTable {
  routes: readonly Route[];
  budget: RetryBudget;
  /** Empty: all traffic goes to the logical authority itself. */
  splits: readonly Split[];
}

const NEVER = () => false;

export const DEFAULT_ROUTE: Route = Object.freeze({
  name: DEFAULT_ROUTE_NAME,
  matches: () => true,
  classes: [],
  retryable: false,
  timeoutMs: 0,
});

function durationMs(d: Duration | undefined): number | undefined {
  if (d === undefined) return undefined;
  const ms = Number(d.seconds) * 1000 + d.nanos / 1e6;
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}

function methodName(method: HttpMethod): string | null {
  const t = method.type;
  if (t === undefined) return null;
  if (t.$case === 'unregistered') return t.value.toUpperCase();
  const name = HttpMethod_Registered[t.value];
  return name === undefined || name === 'UNRECOGNIZED' ? null : name;
}

/** ServiceProfile `pathRegex` matches the whole path without the query; an invalid one never matches. */
function pathMatcher(source: string): RequestPredicate {
  try {
    const re = new RegExp(`^(?:${source})$`);
    return (_method, path) => re.test(path);
  } catch {
    return NEVER;
  }
}

function requestMatch(m: RequestMatch | undefined): RequestPredicate {
  const match = m?.match;
  if (match === undefined) return NEVER;
  switch (match.$case) {
    case 'all': {
      const parts = match.value.matches.map(requestMatch);
      return (method, path) => parts.every((p) => p(method, path));
    }
    case 'any': {
      const parts = match.value.matches.map(requestMatch);
      return (method, path) => parts.some((p) => p(method, path));
    }
    case 'not': {
      const inner = requestMatch(match.value);
      return (method, path) => !inner(method, path);
    }
    case 'path':
      return pathMatcher(match.value.regex);
    case 'method': {
      const name = methodName(match.value);
      return name === null ? NEVER : (method) => method === name;
    }
  }
}

function responseMatch(m: ResponseMatch | undefined): StatusPredicate {
  const match = m?.match;
  if (match === undefined) return NEVER;
  switch (match.$case) {
    case 'all': {
      const parts = match.value.matches.map(responseMatch);
      return (status) => parts.every((p) => p(status));
    }
    case 'any': {
      const parts = match.value.matches.map(responseMatch);
      return (status) => parts.some((p) => p(status));
    }
    case 'not': {
      const inner = responseMatch(match.value);
      return (status) => !inner(status);
    }
    case 'status': {
      const { min, max } = match.value;
      return (status) => status >= min && status <= max;
    }
  }
}

function compileRoute(route: RouteMessage, index: number): Route {
  return {
    name: route.metricsLabels['route'] ?? `route-${index}`,
    matches: requestMatch(route.condition),
    classes: route.responseClasses.map((c) => ({ matches: responseMatch(c.condition), isFailure: c.isFailure })),
    retryable: route.isRetryable,
    timeoutMs: durationMs(route.timeout) ?? DEFAULT_ROUTE_TIMEOUT_MS,
  };
}

function sameBudget(a: RetryBudget, b: RetryBudget): boolean {
  return a.ratio === b.ratio && a.minRetriesPerSecond === b.minRetriesPerSecond && a.ttlMs === b.ttlMs;
}

/**
 * A profile message (null: none) as a route table. `previous` keeps its retry budget, and so its
 * counts, when the budget settings did not change. `toAuthority` normalises a split's authority and
 * returns null for one outside the mesh, which is then skipped.
 */
export function compileRouteTable(
  message: DestinationProfile | null,
  opts: { clock: Clock; toAuthority(authority: string): string | null; previous?: RouteTable },
): RouteTable {
  const rb = message?.retryBudget;
  const fresh = new RetryBudget({
    clock: opts.clock,
    ...(rb === undefined ? {} : { ratio: rb.retryRatio, minRetriesPerSecond: rb.minRetriesPerSecond, ttlMs: durationMs(rb.ttl) }),
  });
  const previous = opts.previous?.budget;
  const splits: Split[] = [];
  for (const dst of message?.dstOverrides ?? []) {
    const authority = opts.toAuthority(dst.authority);
    if (authority !== null && dst.weight > 0) splits.push({ authority, weight: dst.weight });
  }
  return {
    routes: (message?.routes ?? []).map(compileRoute),
    budget: previous !== undefined && sameBudget(previous, fresh) ? previous : fresh,
    splits,
  };
}

/** First match wins; no match is the default route. */
export function selectRoute(table: RouteTable, method: string, path: string): Route {
  for (const route of table.routes) if (route.matches(method, path)) return route;
  return DEFAULT_ROUTE;
}

/** The backend of one attempt: a split's authority by weight (one uniform draw in [0, 1)), or the logical one. */
export function pickSplit(table: RouteTable, logical: string, draw: number): string {
  const total = table.splits.reduce((sum, s) => sum + s.weight, 0);
  if (total <= 0) return logical;
  let target = draw * total;
  for (const split of table.splits) {
    if (target < split.weight) return split.authority;
    target -= split.weight;
  }
  return table.splits[table.splits.length - 1]?.authority ?? logical;
}

/** linkerd2-proxy's classifier: the first matching response class decides, else a 5xx is a failure. */
export function classify(route: Route, status: number): Classification {
  for (const rule of route.classes) if (rule.matches(status)) return rule.isFailure ? 'failure' : 'success';
  return status >= 500 ? 'failure' : 'success';
}
