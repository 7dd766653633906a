import { retryBudgetFor, type Clock, type RetryBudget } from '@trellis/balance';
import type { DestinationProfile, OutboundPolicy } from '@trellis/proto';
import { chooseRouteTable, type RouteTable } from '@trellis/routes';
import type { Logger } from 'pino';
import type { Subscription } from 'rxjs';
import type { Discovery } from '@trellis/discovery';
import { resolveTarget, type AuthorityOptions } from './authority';
import type { Backend, BackendDescription } from './backend';
import { EndpointConnections } from './endpoint-connections';
import type { EndpointChoice, LogicalTarget } from './layer';
import type { BackendState, OutboundMetrics, RouteSeries } from './metrics';
import type { PolicyDiscovery } from './policy-client';

/** Ours: a logical service or backend unused for this long is closed (its streams and pools with it). */
export const SERVICE_IDLE_MS = 60_000;
/** Ours: at most this many authorities forwarded directly keep a connection pool. */
export const MAX_DIRECT_POOLS = 256;

export interface ServiceCacheDeps {
  discovery: Discovery;
  policies: PolicyDiscovery;
  metrics: OutboundMetrics;
  logger: Logger;
  clock: Clock;
  authority: AuthorityOptions;
  /** How long a request waits for the first policy and profile before routing with what has come. */
  profileWaitMs: number;
  /** Builds a backend's stack (stack.ts). */
  newBackend(authority: string): Backend;
}

/**
 * A service as the application named it: its route table (from its OutboundPolicy or its
 * ServiceProfile: chooseRouteTable in @trellis/routes) and the retry budget of its profile, kept
 * across updates that do not change its settings. Until both the policy stream and the profile
 * stream have answered, requests wait (at most profileWaitMs); then whatever has come is used.
 */
export class LogicalService implements LogicalTarget {
  table: RouteTable | undefined;
  budget: RetryBudget;
  lastUsedMs = performance.now();
  private policy: OutboundPolicy | null | undefined;
  private profile: DestinationProfile | null | undefined;
  private readonly subscriptions: Subscription[];
  private readonly routeSeries = new Map<string, RouteSeries>();
  private waiting: (() => void)[] = [];
  private waitTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly authority: string,
    private readonly deps: ServiceCacheDeps,
  ) {
    this.budget = retryBudgetFor(deps.clock, undefined, undefined);
    const logFailure = (what: string) => (err: unknown) => deps.logger.error({ authority, err }, `${what} stream failed`);
    this.subscriptions = [
      deps.policies.watch(authority).subscribe({
        next: (p) => {
          this.policy = p;
          this.update();
        },
        error: logFailure('policy'),
      }),
      deps.discovery.profile(authority).subscribe({
        next: (p) => {
          this.profile = p;
          this.update();
        },
        error: logFailure('profile'),
      }),
    ];
  }

  /** Resolves once a route table is in force (or the default one after the wait). */
  ready(): Promise<RouteTable> {
    if (this.table !== undefined) return Promise.resolve(this.table);
    this.waitTimer ??= setTimeout(() => {
      this.deps.logger.warn({ authority: this.authority, policy: this.policy !== undefined, profile: this.profile !== undefined }, 'no policy or profile in time; routing with what has come');
      this.policy ??= null;
      this.profile ??= null;
      this.update();
    }, this.deps.profileWaitMs);
    return new Promise((resolve) => this.waiting.push(() => resolve(this.table as RouteTable)));
  }

  series(routeName: string): RouteSeries {
    let s = this.routeSeries.get(routeName);
    if (s === undefined) {
      s = this.deps.metrics.route(this.authority, routeName);
      this.routeSeries.set(routeName, s);
    }
    return s;
  }

  close(): void {
    for (const s of this.subscriptions) s.unsubscribe();
    clearTimeout(this.waitTimer);
    this.waitTimer = undefined;
  }

  private update(): void {
    if (this.policy === undefined || this.profile === undefined) return;
    const authority = this.deps.authority;
    const table = chooseRouteTable(this.policy, this.profile, {
      resolveAuthority: (a) => {
        const t = resolveTarget(a, authority);
        return t?.kind === 'service' ? t.authority : undefined;
      },
    });
    this.budget = retryBudgetFor(this.deps.clock, table.budget, this.budget);
    if (this.table?.origin !== table.origin) this.deps.logger.info({ authority: this.authority, origin: table.origin }, 'routes in force');
    this.table = table;
    clearTimeout(this.waitTimer);
    this.waitTimer = undefined;
    const waiting = this.waiting;
    this.waiting = [];
    for (const w of waiting) w();
  }
}

/** Logical services and backends by authority, shared by all requests, closed after idling. */
export class ServiceCache {
  private readonly logicals = new Map<string, LogicalService>();
  private readonly backends = new Map<string, Backend>();
  private readonly directs = new Map<string, EndpointChoice>();
  private readonly sweeper: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly deps: ServiceCacheDeps) {
    this.sweeper = setInterval(() => this.sweep(), SERVICE_IDLE_MS / 2);
    this.sweeper.unref();
  }

  logical(authority: string): LogicalService {
    let s = this.logicals.get(authority);
    if (s === undefined) {
      s = new LogicalService(authority, this.deps);
      this.logicals.set(authority, s);
    }
    s.lastUsedMs = performance.now();
    return s;
  }

  backend(authority: string): Backend {
    let b = this.backends.get(authority);
    if (b === undefined) {
      b = this.deps.newBackend(authority);
      this.backends.set(authority, b);
    }
    return b;
  }

  /** The pool of an authority reached without discovery (`host:port`); the oldest is drained past the limit. */
  direct(hostPort: string): EndpointChoice {
    let d = this.directs.get(hostPort);
    if (d === undefined) {
      if (this.directs.size >= MAX_DIRECT_POOLS) {
        const [oldest, entry] = this.directs.entries().next().value as [string, EndpointChoice];
        this.directs.delete(oldest);
        void entry.connections.close();
      }
      d = {
        id: hostPort,
        connections: new EndpointConnections(hostPort, this.deps.logger),
        series: this.deps.metrics.endpoint(hostPort, {}),
        handle: undefined,
      };
      this.directs.set(hostPort, d);
    }
    return d;
  }

  backendStates(): BackendState[] {
    return [...this.backends.values()].map((b) => ({
      authority: b.authority,
      endpoints: b.endpointCounts(),
      waiting: b.pendingRequests(),
      breakers: b.breakers,
    }));
  }

  /** Every backend, for the admin introspection pages. */
  describe(): BackendDescription[] {
    return [...this.backends.values()].map((b) => b.describe());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweeper);
    for (const s of this.logicals.values()) s.close();
    this.logicals.clear();
    const closing = [...this.backends.values()].map((b) => b.close());
    closing.push(...[...this.directs.values()].map((d) => d.connections.close()));
    this.backends.clear();
    this.directs.clear();
    await Promise.all(closing);
  }

  private sweep(): void {
    const idleSince = performance.now() - SERVICE_IDLE_MS;
    for (const [key, s] of this.logicals) {
      if (s.lastUsedMs >= idleSince) continue;
      s.close();
      this.logicals.delete(key);
    }
    for (const [key, b] of this.backends) {
      if (b.lastUsedMs >= idleSince || b.pendingRequests() > 0) continue;
      this.backends.delete(key);
      void b.close();
    }
  }
}
