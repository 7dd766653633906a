import { matchHost, matchRequest } from './match';
import type { RequestMatch, Route, RouteRequest, RouteTable, Rule } from './model';

export interface Selection {
  readonly route: Route | undefined;
  readonly rule: Rule;
  /** The match that won; undefined for a rule without matches or the fallback. */
  readonly match: RequestMatch | undefined;
}

/**
 * Gateway API precedence of one match, as a tuple compared left to right (larger wins):
 * HTTP (no path counts as the prefix "/"): exact path, then regex (ranked above prefixes, so a ServiceProfile's regex routes win over
 * the catch-all prefix), then the longer prefix; then a method; then more headers; then more
 * query parameters. gRPC: the longer service, the longer method, then more headers.
 */
function rank(m: RequestMatch | undefined): readonly number[] {
  if (m === undefined) return [0, 0, 0, 0, 0];
  switch (m.kind) {
    case 'http': {
      // A match without a path is Gateway API's default, PathPrefix "/".
      const p = m.path ?? { kind: 'prefix', value: '/' };
      const pathKind = p.kind === 'exact' ? 3 : p.kind === 'regex' ? 2 : 1;
      const prefixLength = p.kind === 'prefix' ? p.value.length : 0;
      return [pathKind, prefixLength, m.method === undefined ? 0 : 1, m.headers.length, m.query.length];
    }
    case 'grpc':
      return [m.service?.length ?? 0, m.method?.length ?? 0, m.headers.length, 0, 0];
    case 'condition':
      return [0, 0, 0, 0, 0];
  }
}

function better(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x > y;
  }
  return false;
}

/** The first rule (in route order, then rule order) with a match: ServiceProfile semantics. */
function selectInOrder(table: RouteTable, req: RouteRequest): Selection | undefined {
  for (const route of table.routes) {
    if (!matchHost(route.hosts, req.host)) continue;
    for (const rule of route.rules) {
      if (rule.matches.length === 0) return { route, rule, match: undefined };
      const match = rule.matches.find((m) => matchRequest(m, req));
      if (match !== undefined) return { route, rule, match };
    }
  }
  return undefined;
}

// A match's rank never changes: computed once per match object.
const ranks = new WeakMap<RequestMatch, readonly number[]>();
const NO_MATCH_RANK = rank(undefined);

function rankOf(m: RequestMatch): readonly number[] {
  let r = ranks.get(m);
  if (r === undefined) {
    r = rank(m);
    ranks.set(m, r);
  }
  return r;
}

/** The most specific matching (route, rule, match); ties go to the earlier route, then the earlier rule. */
function selectByPrecedence(table: RouteTable, req: RouteRequest): Selection | undefined {
  let best: Selection | undefined;
  let bestRank: readonly number[] = NO_MATCH_RANK;
  const consider = (route: Route, rule: Rule, match: RequestMatch | undefined, r: readonly number[]) => {
    if (best === undefined || better(r, bestRank)) {
      best = { route, rule, match };
      bestRank = r;
    }
  };
  for (const route of table.routes) {
    if (!matchHost(route.hosts, req.host)) continue;
    for (const rule of route.rules) {
      if (rule.matches.length === 0) consider(route, rule, undefined, NO_MATCH_RANK);
      for (const match of rule.matches) {
        // Only a match that would outrank the best so far is worth testing against the request.
        if (best !== undefined && !better(rankOf(match), bestRank)) continue;
        if (matchRequest(match, req)) consider(route, rule, match, rankOf(match));
      }
    }
  }
  return best;
}

/** The rule a request takes, or undefined when none matches and the table has no fallback (404). */
export function selectRule(table: RouteTable, req: RouteRequest): Selection | undefined {
  const found = table.selection === 'gamma' ? selectByPrecedence(table, req) : selectInOrder(table, req);
  if (found !== undefined) return found;
  return table.fallback === undefined ? undefined : fallbackSelection(table.fallback);
}

// Every request a table routes to its fallback gets the same (immutable) selection: made once per rule.
const fallbacks = new WeakMap<Rule, Selection>();

function fallbackSelection(rule: Rule): Selection {
  let selection = fallbacks.get(rule);
  if (selection === undefined) {
    selection = { route: undefined, rule, match: undefined };
    fallbacks.set(rule, selection);
  }
  return selection;
}

/**
 * Picks an index with probability weight / total, from one uniform draw in [0, 1).
 * Weights must be >= 0 with a positive total.
 */
export function pickWeighted(weights: readonly number[], total: number, draw: number): number {
  let target = draw * total;
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i] ?? 0;
    if (target < w) return i;
    target -= w;
  }
  // Rounding can leave target just past the last bucket; the last positive weight takes it.
  for (let i = weights.length - 1; i >= 0; i--) if ((weights[i] ?? 0) > 0) return i;
  return 0;
}
