import type { Meta, RateLimitScope } from '@trellis/policy';
import { Counter, type Registry } from 'prom-client';
import { CounterFamily, type CounterSeries } from '../metrics/families';
import type { ConnectionTls } from './mesh-tls';


const SERVER_LABELS = ['target_addr', 'srv_group', 'srv_kind', 'srv_name'] as const;
const ROUTE_LABELS = ['route_group', 'route_kind', 'route_name'] as const;
const AUTHZ_LABELS = ['authz_group', 'authz_kind', 'authz_name'] as const;
const TLS_LABELS = ['tls', 'client_id'] as const;

/** Linkerd's TLS labels: `tls="true"` with the proved `client_id` (empty without a certificate), or `tls="no_identity"`. */
function tlsLabels(tls: ConnectionTls): { tls: string; client_id: string } {
  return tls.tls ? { tls: 'true', client_id: tls.clientId ?? '' } : { tls: 'no_identity', client_id: '' };
}

function metaLabels(prefix: 'srv' | 'route' | 'authz', m: Meta): Record<string, string> {
  return { [`${prefix}_group`]: m.group, [`${prefix}_kind`]: m.kind, [`${prefix}_name`]: m.name };
}

function keyOf(...metas: Meta[]): string {
  return metas.map((m) => `${m.group}/${m.kind}/${m.name}`).join('\0');
}

/** Series by the objects that name them, in nested weak maps: found without building a key string. */
type SeriesTree = WeakMap<object, SeriesTree | CounterSeries>;

/**
 * linkerd2-proxy's inbound policy counters (`app/inbound/src/metrics/authz.rs`, same names and labels):
 * requests authorized (by server, route and authorization), denied and without a route (by server
 * and route), plus the requests a local rate limit refused and the policy updates applied or
 * rejected. The request-path counters are CounterFamily series (prom-client's labelled children hash
 * and validate their labels at every inc()); each is found by the policy's own objects (server,
 * route, authorization) and the connection's TLS state, so a request costs a few weak-map lookups.
 */
export class PolicyMetrics {
  private readonly allowed: CounterFamily;
  private readonly denied: CounterFamily;
  private readonly notFound: CounterFamily;
  private readonly limited: CounterFamily;
  private readonly applied: Counter;
  private readonly rejected: Counter;
  private readonly reconnects: Counter;
  private readonly tree: SeriesTree = new WeakMap();

  constructor(
    registry: Registry,
    private readonly targetAddr: string,
  ) {
    const counter = (name: string, help: string, labelNames: readonly string[]) =>
      new Counter({ name, help, labelNames: [...labelNames], registers: [registry] });
    const family = (name: string, help: string, labelNames: readonly string[]) => new CounterFamily(name, help, labelNames).register(registry);
    this.allowed = family('inbound_http_authz_allow_total', 'Inbound HTTP requests authorized', [...SERVER_LABELS, ...ROUTE_LABELS, ...AUTHZ_LABELS, ...TLS_LABELS]);
    this.denied = family('inbound_http_authz_deny_total', 'Inbound HTTP requests denied by authorization policy', [...SERVER_LABELS, ...ROUTE_LABELS, ...TLS_LABELS]);
    this.notFound = family('inbound_http_route_not_found_total', 'Inbound HTTP requests that matched no route', [...SERVER_LABELS, ...TLS_LABELS]);
    this.limited = family('inbound_http_local_ratelimit_rate_limited_total', 'Inbound HTTP requests refused by a local rate limit', [
      ...SERVER_LABELS,
      'ratelimit_name',
      'scope',
      ...TLS_LABELS,
    ]);
    this.applied = counter('inbound_policy_updates_applied_total', 'Inbound policies put in force, by source', ['source']);
    this.rejected = counter('inbound_policy_updates_rejected_total', 'Inbound policy updates rejected (the last valid policy stays), by reason', ['reason']);
    this.reconnects = counter('inbound_policy_stream_reconnects_total', 'WatchPort streams lost and scheduled to reopen (the last policy stays meanwhile)', []);
  }

  allow(server: Meta, route: Meta, authz: Meta, tls: ConnectionTls): void {
    this.series([this.allowed, server, route, authz, tls], () =>
      this.allowed.child(`${keyOf(server, route, authz)}\0${tls.tls}\0${tls.clientId ?? ''}`, () => ({
        ...this.serverLabels(server),
        ...metaLabels('route', route),
        ...metaLabels('authz', authz),
        ...tlsLabels(tls),
      })),
    ).inc();
  }

  deny(server: Meta, route: Meta, tls: ConnectionTls): void {
    this.series([this.denied, server, route, tls], () =>
      this.denied.child(`${keyOf(server, route)}\0${tls.tls}\0${tls.clientId ?? ''}`, () => ({
        ...this.serverLabels(server),
        ...metaLabels('route', route),
        ...tlsLabels(tls),
      })),
    ).inc();
  }

  routeNotFound(server: Meta, tls: ConnectionTls): void {
    this.series([this.notFound, server, tls], () =>
      this.notFound.child(`${keyOf(server)}\0${tls.tls}\0${tls.clientId ?? ''}`, () => ({ ...this.serverLabels(server), ...tlsLabels(tls) })),
    ).inc();
  }

  rateLimited(server: Meta, rateLimit: Meta, scope: RateLimitScope, tls: ConnectionTls): void {
    this.limited
      .child(`${keyOf(server, rateLimit)}\0${scope}\0${tls.tls}\0${tls.clientId ?? ''}`, () => ({
        ...this.serverLabels(server),
        ratelimit_name: rateLimit.name,
        scope,
        ...tlsLabels(tls),
      }))
      .inc();
  }

  policyApplied(source: 'static' | 'server'): void {
    this.applied.inc({ source });
  }

  policyRejected(reason: string): void {
    this.rejected.inc({ reason });
  }

  policyStreamReconnect(): void {
    this.reconnects.inc();
  }

  private serverLabels(server: Meta): Record<string, string> {
    return { target_addr: this.targetAddr, ...metaLabels('srv', server) };
  }

  /**
   * The series at `path` (the family, then the objects its labels come from), made by `make` the first time.
   * Equal label sets reached through other objects (a new policy with the same names) share the family's series.
   */
  private series(path: readonly object[], make: () => CounterSeries): CounterSeries {
    let tree = this.tree;
    const last = path.length - 1;
    for (let i = 0; i < last; i++) {
      let next = tree.get(path[i] as object) as SeriesTree | undefined;
      if (next === undefined) {
        next = new WeakMap();
        tree.set(path[i] as object, next);
      }
      tree = next;
    }
    let found = tree.get(path[last] as object) as CounterSeries | undefined;
    if (found === undefined) {
      found = make();
      tree.set(path[last] as object, found);
    }
    return found;
  }
}
