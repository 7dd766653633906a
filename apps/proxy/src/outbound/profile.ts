import { RetryBudget, type Clock } from '@trellis/balance';
import type { DestinationProfile, Duration, Route as RouteMessage } from '@trellis/proto';
import { resolveTarget, type AuthorityOptions } from './authority';
import type { ResponseClassRule } from './classify';
import { compileRequestMatch, compileResponseMatch, type RequestPredicate } from './route-match';

/** Linkerd: a ServiceProfile route without `timeout` times out after 10 s. */
export const DEFAULT_ROUTE_TIMEOUT_MS = 10_000;
/** Linkerd's label for requests that match no route of the profile. */
export const DEFAULT_ROUTE_NAME = '[DEFAULT]';

export interface Route {
  /** The `rt_route` metric label. */
  name: string;
  matches: RequestPredicate;
  classes: readonly ResponseClassRule[];
  retryable: boolean;
  /** Covers the request and all its retries, up to the response headers; 0 means none. */
  timeoutMs: number;
}

export interface Split {
  /** A `svc.ns.svc.<domain>:port` authority, resolved by its own `Get` stream. */
  authority: string;
  weight: number;
}

export interface Profile {
  routes: readonly Route[];
  budget: RetryBudget;
  /** Empty: all traffic goes to the logical authority itself. */
  splits: readonly Split[];
  splitWeights: readonly number[];
  splitTotal: number;
}

export const DEFAULT_ROUTE: Route = Object.freeze({
  name: DEFAULT_ROUTE_NAME,
  matches: () => true,
  classes: [],
  retryable: false,
  timeoutMs: 0,
});

export function durationMs(d: Duration | undefined): number | undefined {
  if (d === undefined) return undefined;
  const ms = Number(d.seconds) * 1000 + d.nanos / 1e6;
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}

function compileRoute(route: RouteMessage, index: number): Route {
  return {
    name: route.metricsLabels['route'] ?? `route-${index}`,
    matches: compileRequestMatch(route.condition),
    classes: route.responseClasses.map((c) => ({ matches: compileResponseMatch(c.condition), isFailure: c.isFailure })),
    retryable: route.isRetryable,
    timeoutMs: durationMs(route.timeout) ?? DEFAULT_ROUTE_TIMEOUT_MS,
  };
}

function sameBudget(budget: RetryBudget, ratio: number, minPerSecond: number, ttlMs: number): boolean {
  return budget.ratio === ratio && budget.minRetriesPerSecond === minPerSecond && budget.ttlMs === ttlMs;
}

/**
 * Translates a profile message into the form requests use. `previous` keeps its retry budget
 * (and so its counts) when the budget settings did not change. A null message (no profile)
 * gives no routes, no split and Linkerd's default budget.
 */
export function compileProfile(
  message: DestinationProfile | null,
  opts: { clock: Clock; authority: AuthorityOptions; previous?: Profile },
): Profile {
  const rb = message?.retryBudget;
  const budgetOpts = {
    clock: opts.clock,
    ...(rb === undefined
      ? {}
      : { ratio: rb.retryRatio, minRetriesPerSecond: rb.minRetriesPerSecond, ttlMs: durationMs(rb.ttl) }),
  };
  const fresh = new RetryBudget(budgetOpts);
  const previous = opts.previous?.budget;
  const budget =
    previous !== undefined && sameBudget(previous, fresh.ratio, fresh.minRetriesPerSecond, fresh.ttlMs) ? previous : fresh;
  const splits: Split[] = [];
  for (const dst of message?.dstOverrides ?? []) {
    const target = resolveTarget(dst.authority, opts.authority);
    if (target?.kind !== 'service' || !(dst.weight > 0)) continue;
    splits.push({ authority: target.authority, weight: dst.weight });
  }
  return {
    routes: (message?.routes ?? []).map(compileRoute),
    budget,
    splits,
    splitWeights: splits.map((s) => s.weight),
    splitTotal: splits.reduce((sum, s) => sum + s.weight, 0),
  };
}

/** First match wins; no match is the default route. */
export function selectRoute(profile: Profile, method: string, path: string): Route {
  for (const route of profile.routes) if (route.matches(method, path)) return route;
  return DEFAULT_ROUTE;
}
