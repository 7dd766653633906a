import type { Clock } from '@trellis/balance';
import type { DestinationProfile } from '@trellis/proto';
import type { Logger } from 'pino';
import type { Subscription } from 'rxjs';
import type { Discovery } from '../discovery/discovery-client';
import type { AuthorityOptions } from './authority';
import type { Backend } from './backend';
import { EndpointConnections } from './endpoint-connections';
import type { EndpointChoice, LogicalTarget } from './layer';
import type { BackendState, OutboundMetrics, RouteSeries } from './metrics';
import { compileProfile, type Profile, type Route } from './profile';

/** Ours: a logical service or backend unused for this long is closed (its streams and pools with it). */
export const SERVICE_IDLE_MS = 60_000;
/** Ours: at most this many authorities forwarded directly keep a connection pool. */
export const MAX_DIRECT_POOLS = 256;

export interface ServiceCacheDeps {
  discovery: Discovery;
  metrics: OutboundMetrics;
  logger: Logger;
  clock: Clock;
  authority: AuthorityOptions;
  /** How long a request waits for the first profile before the default profile is used. */
  profileWaitMs: number;
  /** Builds a backend's stack (stack.ts). */
  newBackend(authority: string): Backend;
}

/**
 * A service as the application named it: its profile (routes, budget, split) and the backends
 * its traffic goes to. Until the first profile arrives, requests wait (at most profileWaitMs),
 * then the default profile applies until a real one comes.
 */
export class LogicalService implements LogicalTarget {
  profile: Profile | undefined;
  lastUsedMs = performance.now();
  private readonly subscription: Subscription;
  private readonly routeSeries = new Map<string, RouteSeries>();
  private waiting: (() => void)[] = [];
  private waitTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly authority: string,
    private readonly deps: ServiceCacheDeps,
  ) {
    this.subscription = deps.discovery.profile(authority).subscribe({
      next: (p) => this.setProfile(p),
      error: (err: unknown) => deps.logger.error({ authority, err }, 'profile stream failed'),
    });
  }

  /** Resolves once a profile (or the default after the wait) is in force. */
  ready(): Promise<Profile> {
    if (this.profile !== undefined) return Promise.resolve(this.profile);
    this.waitTimer ??= setTimeout(() => {
      this.deps.logger.warn({ authority: this.authority }, 'no profile in time; using the default profile');
      this.setProfile(null);
    }, this.deps.profileWaitMs);
    return new Promise((resolve) => this.waiting.push(() => resolve(this.profile as Profile)));
  }

  series(route: Route): RouteSeries {
    let s = this.routeSeries.get(route.name);
    if (s === undefined) {
      s = this.deps.metrics.route(this.authority, route.name);
      this.routeSeries.set(route.name, s);
    }
    return s;
  }

  close(): void {
    this.subscription.unsubscribe();
    clearTimeout(this.waitTimer);
    this.waitTimer = undefined;
  }

  private setProfile(message: DestinationProfile | null): void {
    const opts = { clock: this.deps.clock, authority: this.deps.authority };
    this.profile = compileProfile(message, this.profile === undefined ? opts : { ...opts, previous: this.profile });
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
