import type { Cidr } from './ip';

/**
 * The inbound policy of one server port, as linkerd2-proxy models it (`linkerd-proxy-server-policy`):
 * a server with routes, each route with the authorizations that let a client through, and an
 * optional HTTP local rate limit. Immutable: a change replaces the whole policy.
 */

/** What a resource is called in metrics and logs (Linkerd's `group`/`kind`/`name` labels). */
export interface Meta {
  readonly group: string;
  readonly kind: string;
  readonly name: string;
}

/** Clients from `net`, except those in any of `except`. */
export interface Network {
  readonly net: Cidr;
  readonly except: readonly Cidr[];
}

/**
 * Who may call: anyone (plaintext included), any client over mesh TLS, or mesh TLS clients whose
 * identity is listed or ends with one of the suffixes (a suffix `[]` matches every identity).
 */
export type Authentication =
  | { readonly kind: 'unauthenticated' }
  | { readonly kind: 'tls-unauthenticated' }
  | {
      readonly kind: 'tls-authenticated';
      readonly identities: readonly string[];
      /** DNS-like suffixes as label lists: `['shop', 'serviceaccount']` matches `*.shop.serviceaccount`. */
      readonly suffixes: readonly (readonly string[])[];
    };

export interface Authorization {
  readonly meta: Meta;
  /** At least one; a client must be in one of them. */
  readonly networks: readonly Network[];
  readonly authentication: Authentication;
}

export type PathMatch =
  | { readonly kind: 'exact'; readonly value: string }
  | { readonly kind: 'prefix'; readonly value: string }
  | { readonly kind: 'regex'; readonly value: RegExp };

export type ValueMatch = { readonly kind: 'exact'; readonly value: string } | { readonly kind: 'regex'; readonly value: RegExp };

export interface HeaderMatch {
  /** Lower case. */
  readonly name: string;
  readonly value: ValueMatch;
}

export interface QueryParamMatch {
  readonly name: string;
  readonly value: ValueMatch;
}

/** Gateway API's HTTPRouteMatch: every part that is set must hold. */
export interface RouteMatch {
  readonly path: PathMatch | undefined;
  readonly headers: readonly HeaderMatch[];
  readonly queryParams: readonly QueryParamMatch[];
  /** Upper case; undefined matches every method. */
  readonly method: string | undefined;
}

export type HostMatch = { readonly kind: 'exact'; readonly value: string } | { readonly kind: 'suffix'; readonly value: string };

export interface Route {
  readonly meta: Meta;
  /** Empty: any host. */
  readonly hosts: readonly HostMatch[];
  /** A request matches the route when it matches one of these (a rule without matches contributes a match-all). */
  readonly matches: readonly RouteMatch[];
  /** Who may use the route; empty means nobody. */
  readonly authorizations: readonly Authorization[];
}

/** Linkerd's HTTPLocalRateLimitPolicy: requests per second in total, per client identity, and per listed identity. */
export interface RateLimitSpec {
  readonly meta: Meta;
  readonly totalRps: number | undefined;
  readonly identityRps: number | undefined;
  readonly overrides: readonly RateLimitOverride[];
}

export interface RateLimitOverride {
  readonly rps: number;
  /** Client identities this rate applies to (each has its own bucket). */
  readonly clients: readonly string[];
}

export interface InboundPolicy {
  readonly server: Meta;
  /** In order of preference: the first that matches serves the request. */
  readonly routes: readonly Route[];
  readonly rateLimit: RateLimitSpec | undefined;
}

/** The route a server without routes gets: every request, under the server's authorizations (as Linkerd's controller sends it). */
export const DEFAULT_ROUTE_META: Meta = Object.freeze({ group: '', kind: 'default', name: 'default' });

/** Linkerd's audit authorization: a request it lets through would otherwise have been denied, and is logged. */
export const AUDIT_AUTHZ_META: Meta = Object.freeze({ group: '', kind: 'default', name: 'audit' });

export function isAudit(meta: Meta): boolean {
  return meta.kind === AUDIT_AUTHZ_META.kind && meta.name === AUDIT_AUTHZ_META.name;
}

export const MATCH_ALL: RouteMatch = Object.freeze({ path: undefined, headers: [], queryParams: [], method: undefined });
