import type { RequestMatch, ResponseMatch, Route, httpRoute } from '@trellis/proto';
import type { StatusRange } from './linkerd-route-annotations';

// Most matches one ServiceProfile route may expand to (the Gateway API bound on a rule's matches).
const MAX_MATCHES = 64;
// Statuses a ServiceProfile route retries when no response class marks failures (Linkerd: 5xx are failures).
const DEFAULT_FAILURE_RANGE: StatusRange = { start: 500, end: 599 };

export type ProfileMatches = { ok: true; matches: httpRoute.HttpRouteMatch[] } | { ok: false; reason: string };

function merge(a: httpRoute.HttpRouteMatch, b: httpRoute.HttpRouteMatch): httpRoute.HttpRouteMatch | undefined {
  if (a.path && b.path && JSON.stringify(a.path) !== JSON.stringify(b.path)) return undefined;
  if (a.method && b.method && JSON.stringify(a.method) !== JSON.stringify(b.method)) return undefined;
  const path = a.path ?? b.path;
  const method = a.method ?? b.method;
  return { ...(path ? { path } : {}), headers: [], queryParams: [], ...(method ? { method } : {}) };
}

/**
 * A ServiceProfile request condition as HttpRouteMatches, any of which matches (its disjunctive normal
 * form): path and method leaves, `any` and `all` of them. `not`, and an `all` of two different paths or
 * methods, have no HttpRouteMatch form.
 */
export function profileMatches(condition: RequestMatch | undefined): ProfileMatches {
  const match = condition?.match;
  switch (match?.$case) {
    case 'path':
      return { ok: true, matches: [{ path: { kind: { $case: 'regex', value: match.value.regex } }, headers: [], queryParams: [] }] };
    case 'method':
      return { ok: true, matches: [{ headers: [], queryParams: [], method: match.value }] };
    case 'any': {
      const matches: httpRoute.HttpRouteMatch[] = [];
      for (const inner of match.value.matches) {
        const result = profileMatches(inner);
        if (!result.ok) return result;
        matches.push(...result.matches);
      }
      return matches.length > MAX_MATCHES ? { ok: false, reason: `more than ${MAX_MATCHES} alternatives` } : { ok: true, matches };
    }
    case 'all': {
      let product: httpRoute.HttpRouteMatch[] = [{ headers: [], queryParams: [] }];
      for (const inner of match.value.matches) {
        const result = profileMatches(inner);
        if (!result.ok) return result;
        const next: httpRoute.HttpRouteMatch[] = [];
        for (const a of product) {
          for (const b of result.matches) {
            const merged = merge(a, b);
            if (merged) next.push(merged);
          }
        }
        if (next.length > MAX_MATCHES) return { ok: false, reason: `more than ${MAX_MATCHES} alternatives` };
        product = next;
      }
      return product.length === 0 ? { ok: false, reason: '`all` of two different paths or methods never matches' } : { ok: true, matches: product };
    }
    case 'not':
      return { ok: false, reason: '`not` conditions have no Gateway API form' };
    default:
      return { ok: false, reason: 'empty condition' };
  }
}

function failureRanges(match: ResponseMatch | undefined): StatusRange[] | undefined {
  const m = match?.match;
  if (m?.$case === 'status') return [{ start: m.value.min, end: m.value.max }];
  if (m?.$case === 'any') {
    const ranges: StatusRange[] = [];
    for (const inner of m.value.matches) {
      const r = failureRanges(inner);
      if (!r) return undefined;
      ranges.push(...r);
    }
    return ranges;
  }
  return undefined;
}

/** Statuses a retryable ServiceProfile route retries: its failure response classes that are status ranges, else 5xx. */
export function profileRetryRanges(route: Route): StatusRange[] {
  const ranges = route.responseClasses.filter((rc) => rc.isFailure).flatMap((rc) => failureRanges(rc.condition) ?? []);
  return ranges.length > 0 ? ranges : [DEFAULT_FAILURE_RANGE];
}
