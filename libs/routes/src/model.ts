/**
 * The one route model of the outbound side (the proxy's route layer and the proxyless client):
 * what an OutboundPolicy (Gateway API HTTPRoute/GRPCRoute) or a DestinationProfile (ServiceProfile)
 * says about routing, in a form requests use directly. Plain data plus compiled predicates; no I/O.
 */

/** What a route looks at in a request. */
export interface RouteRequest {
  readonly method: string;
  /** The path without the query. */
  readonly path: string;
  /** The query without the leading `?` (empty when none). */
  readonly query: string;
  /** The `:authority`/`Host` the client sent, without the port (lower case). */
  readonly host: string | undefined;
  /** The first value of a header (name in lower case). */
  header(name: string): string | undefined;
}

export type StatusPredicate = (status: number) => boolean;

/** A ServiceProfile response class: the first one that matches classifies the response. */
export interface ResponseClass {
  readonly matches: StatusPredicate;
  readonly isFailure: boolean;
}

export interface ValueMatch {
  /** Header names are lower case; query parameter names as written. */
  readonly name: string;
  readonly kind: 'exact' | 'regex';
  readonly value: string;
  /** Compiled once, anchored to the whole value (Gateway API's RegularExpression match). */
  readonly regex: RegExp | undefined;
}

export type PathMatch =
  | { readonly kind: 'exact'; readonly value: string }
  /** Whole segments: `/api` matches `/api` and `/api/x`, not `/apix` (Gateway API). */
  | { readonly kind: 'prefix'; readonly value: string }
  | { readonly kind: 'regex'; readonly value: string; readonly regex: RegExp };

/** An HTTPRoute match: every part that is set must match. */
export interface HttpMatch {
  readonly kind: 'http';
  readonly path: PathMatch | undefined;
  readonly headers: readonly ValueMatch[];
  readonly query: readonly ValueMatch[];
  /** Upper case; undefined: any method. */
  readonly method: string | undefined;
}

/** A GRPCRoute match: `/service/method`; undefined parts match any. */
export interface GrpcMatch {
  readonly kind: 'grpc';
  readonly service: string | undefined;
  readonly method: string | undefined;
  readonly headers: readonly ValueMatch[];
}

/** A ServiceProfile condition (all/any/not over method and whole-path regex): only tried in order. */
export interface ConditionMatch {
  readonly kind: 'condition';
  readonly test: (method: string, path: string) => boolean;
}

export type RequestMatch = HttpMatch | GrpcMatch | ConditionMatch;

export interface HeaderModifier {
  /** Appended to the values already there. */
  readonly add: readonly (readonly [string, string])[];
  /** Replace every value of the header. */
  readonly set: readonly (readonly [string, string])[];
  readonly remove: readonly string[];
}

export type PathRewrite =
  | { readonly kind: 'full'; readonly value: string }
  /** Replaces the prefix the rule matched (only on a rule whose match is a path prefix). */
  | { readonly kind: 'prefix'; readonly value: string };

export type Filter =
  | { readonly kind: 'request-headers'; readonly modifier: HeaderModifier }
  | { readonly kind: 'response-headers'; readonly modifier: HeaderModifier }
  | {
      readonly kind: 'redirect';
      /** Undefined parts keep the request's. */
      readonly scheme: string | undefined;
      readonly host: string | undefined;
      readonly port: number | undefined;
      readonly path: PathRewrite | undefined;
      readonly status: number;
    }
  | { readonly kind: 'url-rewrite'; readonly host: string | undefined; readonly path: PathRewrite | undefined }
  /** Answer instead of forwarding, for `ratio` of the requests (1: all). gRPC: `grpcCode`. */
  | { readonly kind: 'failure'; readonly status: number; readonly grpcCode: number | undefined; readonly message: string; readonly ratio: number };

export interface RouteBackend {
  /** The `svc.ns.svc.<domain>:port` to resolve and balance; undefined: never dispatch (its filters answer). */
  readonly authority: string | undefined;
  readonly weight: number;
  readonly filters: readonly Filter[];
}

export interface StatusRange {
  readonly start: number;
  readonly end: number;
}

/**
 * When to retry a response: ServiceProfile routes retry what their response classes call a
 * failure; OutboundPolicy routes retry the listed statuses (HTTP) or grpc-status codes (gRPC).
 */
export type RetryOn = { readonly kind: 'failure-class' } | { readonly kind: 'status'; readonly ranges: readonly StatusRange[] } | { readonly kind: 'grpc'; readonly codes: readonly number[] };

export interface Retry {
  /** Retries after the first attempt; Infinity: bounded by the retry budget only (ServiceProfile). */
  readonly maxRetries: number;
  readonly on: RetryOn;
  /** Larger request bodies are not retried. */
  readonly maxRequestBytes: number;
  /** Draws on the service's retry budget (ServiceProfile retries); OutboundPolicy retries are counted only. */
  readonly budgeted: boolean;
  /** Wait between attempts; undefined: retry at once. */
  readonly backoff: { readonly minMs: number; readonly maxMs: number; readonly jitter: number } | undefined;
}

export interface Timeouts {
  /** The whole request, retries included, up to the response headers (Gateway API `timeouts.request`). */
  readonly requestMs: number | undefined;
  /** Each attempt up to its response headers (`timeouts.backendRequest`, or the retry's per-attempt timeout). */
  readonly backendRequestMs: number | undefined;
}

export interface Rule {
  /** The `rt_route` metric label. */
  readonly name: string;
  /** Any of them (OR). Empty: every request. */
  readonly matches: readonly RequestMatch[];
  readonly filters: readonly Filter[];
  /** Chosen per attempt by weight. Empty: the logical service itself. */
  readonly backends: readonly RouteBackend[];
  readonly timeouts: Timeouts;
  readonly retry: Retry | undefined;
  readonly classes: readonly ResponseClass[];
}

export type HostMatch = { readonly kind: 'exact'; readonly host: string } | { readonly kind: 'suffix'; readonly suffix: string };

export interface Route {
  readonly name: string;
  /** Where it came from: Gateway API routes select by precedence, a profile's in order. */
  readonly source: 'gateway' | 'profile' | 'default';
  /** Empty: any host. */
  readonly hosts: readonly HostMatch[];
  readonly rules: readonly Rule[];
}

export interface RetryBudgetSettings {
  readonly ratio: number;
  readonly minRetriesPerSecond: number;
  /** Undefined: Linkerd's default window. */
  readonly ttlMs: number | undefined;
}

export interface RouteTable {
  /** `gamma`: the most specific match of any rule wins (Gateway API); `in-order`: the first that matches (ServiceProfile). */
  readonly selection: 'gamma' | 'in-order';
  readonly routes: readonly Route[];
  /** What a request no rule matches gets: this rule, or 404 (GAMMA: once a route is attached, no default route). */
  readonly fallback: Rule | undefined;
  /** The ServiceProfile's retry budget; undefined: Linkerd's default. */
  readonly budget: RetryBudgetSettings | undefined;
  /** The resource the table came from, for logs. */
  readonly origin: 'policy' | 'profile' | 'default';
}

/** Linkerd's label for requests that match no route of a profile, and for the default route. */
export const DEFAULT_ROUTE_NAME = '[DEFAULT]';

export const NO_TIMEOUTS: Timeouts = Object.freeze({ requestMs: undefined, backendRequestMs: undefined });

/** Every request, to the logical service itself, no timeout, no retry: the profile's and the policy's default. */
export const DEFAULT_RULE: Rule = Object.freeze({
  name: DEFAULT_ROUTE_NAME,
  matches: [],
  filters: [],
  backends: [],
  timeouts: NO_TIMEOUTS,
  retry: undefined,
  classes: [],
});
