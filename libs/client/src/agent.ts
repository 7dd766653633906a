import { retryBudgetFor, type RetryBudget } from '@trellis/balance';
import type { DestinationProfile } from '@trellis/proto';
import { DEFAULT_RULE, selectRule, tableFromProfile, type RouteRequest, type RouteTable } from '@trellis/routes';
import { pino, type Logger } from 'pino';
import type { Registry } from 'prom-client';
import { firstValueFrom, timeout, type Subscription } from 'rxjs';
import { Agent, Dispatcher, Pool } from 'undici';
import { meshAuthority, parseMeshAuthority } from './authority';
import {
  DEFAULT_CLUSTER_DOMAIN,
  DEFAULT_DESTINATION_ADDR,
  FAIL_FAST_TIMEOUT_MS,
  MAX_CONNECTIONS_PER_ENDPOINT,
  MAX_SERVICES,
  PROFILE_WAIT_MS,
} from './defaults';
import { DestinationConnection } from './destination';
import { EndpointSet } from './endpoint-set';
import { ClientError } from './errors';
import { headerValue, withHost } from './headers';
import { ClientMetrics } from './metrics';
import { RoutedRequest } from './routed-request';


/** The shapes @trellis/balance injects, restated so that the published types stand alone. */
export interface TrellisClock {
  /** Milliseconds from an arbitrary origin, never going backwards. */
  now(): number;
}

export interface TrellisAgentOptions {
  /** `host:port` of the destination service; default $TRELLIS_DESTINATION_ADDR, else 127.0.0.1:8086. */
  destination?: string;
  /** Default `cluster.local`: hosts `svc.ns.svc.<domain>` are resolved by the mesh, others by DNS. */
  clusterDomain?: string;
  /** Sent with every Get/GetProfile, as the proxy does (Linkerd: JSON `{"ns":"...","nodeName":"...","pod":"..."}`). */
  contextToken?: string;
  /** Where the outbound metrics go; default prom-client's global registry. */
  registry?: Registry;
  logger?: Logger;
  clock?: TrellisClock;
  /** A uniform number in [0, 1), like Math.random. */
  random?: () => number;
  failFastMs?: number;
  /** Options for each endpoint's undici Pool and for the DNS fallback Agent. */
  connections?: Pick<Pool.Options, 'connections' | 'keepAliveTimeout' | 'headersTimeout' | 'bodyTimeout' | 'connect'>;
  /** How long the first connection to the destination may take before falling back to DNS. */
  destinationConnectTimeoutMs?: number;
}

interface Service {
  table: RouteTable | undefined;
  /** The profile's retry budget; kept, with its counts, while its settings stay the same. */
  budget: RetryBudget;
  firstProfile: Promise<unknown>;
  subscription: Subscription;
}

const performanceClock: TrellisClock = { now: () => performance.now() };

/**
 * An undici Dispatcher that does in the app what the outbound proxy does beside it: requests to
 * `svc.ns.svc.cluster.local[:port]` are resolved through the destination service (`Get`,
 * `GetProfile`), routed by the ServiceProfile (timeout, retries under the budget, traffic split)
 * and balanced per request with P2C over peak-EWMA, one keep-alive Pool per endpoint. Any other
 * host, or every host while the destination was unreachable at start, goes through DNS.
 *
 *   const agent = new TrellisAgent({ destination: '127.0.0.1:8086' });
 *   await fetch('http://web.demo.svc.cluster.local/', { dispatcher: agent });
 */
export class TrellisAgent extends Dispatcher {
  private readonly destination: DestinationConnection;
  private readonly fallback: Agent;
  private readonly entry: Dispatcher;
  private readonly metrics: ClientMetrics;
  private readonly backends = new Map<string, EndpointSet>();
  private readonly services = new Map<string, Service>();
  private readonly targets = new Map<string, { logical: string; host: string } | null>();
  private readonly clusterDomain: string;
  private readonly clock: TrellisClock;
  private readonly random: () => number;
  private readonly failFastMs: number;
  private readonly poolOptions: Pool.Options;
  private closing: Promise<void> | undefined;

  constructor(opts: TrellisAgentOptions = {}) {
    super();
    const address = opts.destination ?? process.env['TRELLIS_DESTINATION_ADDR'] ?? DEFAULT_DESTINATION_ADDR;
    if (!/^[^\s/]+:\d{1,5}$/.test(address)) throw new ClientError('INVALID_OPTION', `destination must be host:port, got ${JSON.stringify(address)}`);
    this.clusterDomain = opts.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN;
    this.clock = opts.clock ?? performanceClock;
    this.random = opts.random ?? Math.random;
    this.failFastMs = opts.failFastMs ?? FAIL_FAST_TIMEOUT_MS;
    this.poolOptions = { connections: MAX_CONNECTIONS_PER_ENDPOINT, ...opts.connections };
    const logger = opts.logger ?? pino({ level: 'silent' });
    this.destination = new DestinationConnection({
      address,
      contextToken: opts.contextToken ?? '',
      random: this.random,
      logger,
      ...(opts.destinationConnectTimeoutMs === undefined ? {} : { connectTimeoutMs: opts.destinationConnectTimeoutMs }),
    });
    this.fallback = new Agent(opts.connections);
    // compose() hands every handler over in undici's current handler API, whatever the caller used.
    this.entry = this.fallback.compose((dispatch) => (o, handler) => this.route(o, handler, dispatch));
    const discovery = this.destination.discovery;
    this.metrics = new ClientMetrics(
      {
        backends: () => [...this.backends.values()].map((b) => ({ authority: b.authority, ready: b.size() })),
        discoveryStreams: () => discovery.stateCounts(),
        reconnects: (kind) => discovery.reconnectCount(kind),
      },
      opts.registry,
    );
  }

  /** Whether authorities are resolved by the mesh or, since the destination was unreachable at start, by DNS. */
  get mode(): 'connecting' | 'mesh' | 'dns' | 'closed' {
    return this.destination.mode;
  }

  override dispatch(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    return this.entry.dispatch(opts, handler);
  }

  override close(): Promise<void>;
  override close(callback: () => void): void;
  override close(callback?: () => void): Promise<void> | void {
    const done = this.shutdown(false);
    if (callback === undefined) return done;
    void done.then(callback, callback);
  }

  override destroy(): Promise<void>;
  override destroy(err: Error | null): Promise<void>;
  override destroy(callback: () => void): void;
  override destroy(err: Error | null, callback: () => void): void;
  override destroy(a?: Error | null | (() => void), b?: () => void): Promise<void> | void {
    const callback = typeof a === 'function' ? a : b;
    const done = this.shutdown(true);
    if (callback === undefined) return done;
    void done.then(callback, callback);
  }

  private shutdown(destroy: boolean): Promise<void> {
    this.closing ??= (async () => {
      this.destination.close();
      this.metrics.close();
      for (const s of this.services.values()) s.subscription.unsubscribe();
      const backends = [...this.backends.values()];
      await Promise.all([...backends.map((b) => b.close()), destroy ? this.fallback.destroy() : this.fallback.close()]);
    })();
    return this.closing;
  }

  /** Mesh, DNS, or wait for the first word from the destination; a failure goes to the handler, never thrown. */
  private route(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler, direct: Dispatcher['dispatch']): boolean {
    try {
      if (this.closing !== undefined) throw new ClientError('CLOSED', 'the agent is closed');
      const target = opts.origin === undefined ? null : this.target(opts.origin);
      if (target === null || this.destination.mode === 'dns') return direct(opts, handler);
      if (this.destination.mode === 'connecting') {
        void this.destination.started.then(() => this.route(opts, handler, direct));
        return true;
      }
      void this.serve(target.logical, { ...opts, headers: withHost(opts.headers, target.host) }, handler, direct);
      return true;
    } catch (err) {
      handler.onResponseError?.(noController, err as Error);
      return false;
    }
  }

  /** The mesh authority and Host of an origin, or null when DNS serves it; remembered per origin string. */
  private target(origin: string | URL): { logical: string; host: string } | null {
    const key = String(origin);
    const known = this.targets.get(key);
    if (known !== undefined) return known;
    const url = new URL(key);
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    const logical = url.protocol === 'http:' ? meshAuthority(url.hostname, port, this.clusterDomain) : null;
    const target = logical === null ? null : { logical, host: url.host };
    if (this.targets.size < MAX_SERVICES) this.targets.set(key, target);
    return target;
  }

  private async serve(
    logical: string,
    opts: Dispatcher.DispatchOptions,
    handler: Dispatcher.DispatchHandler,
    direct: Dispatcher['dispatch'],
  ): Promise<void> {
    let service: Service;
    try {
      service = this.service(logical);
    } catch (err) {
      handler.onResponseError?.(noController, err as Error);
      return;
    }
    if (service.table === undefined) await service.firstProfile;
    const table = service.table ?? this.compile(null);
    // A profile's table always has a fallback rule (Linkerd's default route), so a rule is always found.
    const rule = selectRule(table, this.routeRequest(opts))?.rule ?? DEFAULT_RULE;
    new RoutedRequest(opts, handler, {
      logical,
      rule,
      budget: service.budget,
      series: this.metrics.route(logical, rule.name),
      random: this.random,
      failFastMs: this.failFastMs,
      backend: (authority) => this.backend(authority),
      direct,
    }).start();
  }

  private compile(profile: DestinationProfile | null): RouteTable {
    return tableFromProfile(profile, { resolveAuthority: (a) => parseMeshAuthority(a, this.clusterDomain) ?? undefined });
  }

  /** The request as route matches see it: path and query apart, the Host without its port. */
  private routeRequest(opts: Dispatcher.DispatchOptions): RouteRequest {
    const q = opts.path.indexOf('?');
    const host = headerValue(opts.headers, 'host');
    return {
      method: opts.method,
      path: q < 0 ? opts.path : opts.path.slice(0, q),
      query: q < 0 ? '' : opts.path.slice(q + 1),
      host: host?.replace(/:\d+$/, '').toLowerCase(),
      header: (name) => headerValue(opts.headers, name),
    };
  }

  private service(logical: string): Service {
    if (this.closing !== undefined) throw new ClientError('CLOSED', 'the agent is closed');
    const known = this.services.get(logical);
    if (known !== undefined) return known;
    if (this.services.size >= MAX_SERVICES) throw new ClientError('TOO_MANY_SERVICES', `this agent already follows ${MAX_SERVICES} services`);
    const profile$ = this.destination.discovery.profile(logical);
    const service: Service = {
      table: undefined,
      budget: retryBudgetFor(this.clock, undefined, undefined),
      firstProfile: firstValueFrom(profile$.pipe(timeout({ first: PROFILE_WAIT_MS }))).catch(() => undefined),
      subscription: profile$.subscribe((message) => {
        const table = this.compile(message);
        service.budget = retryBudgetFor(this.clock, table.budget, service.budget);
        service.table = table;
      }),
    };
    this.services.set(logical, service);
    return service;
  }

  private backend(authority: string): EndpointSet {
    if (this.closing !== undefined) throw new ClientError('CLOSED', 'the agent is closed');
    let set = this.backends.get(authority);
    if (set === undefined) {
      set = new EndpointSet({
        authority,
        resolution$: this.destination.discovery.resolve(authority),
        clock: this.clock,
        random: this.random,
        metrics: this.metrics,
        newPool: (origin) => new Pool(origin, this.poolOptions),
        onEjection: (reason) => this.metrics.ejection(authority, reason),
      });
      this.backends.set(authority, set);
    }
    return set;
  }
}

/** For a failure before any attempt: the caller's handler still gets a controller to look at. */
const noController: Dispatcher.DispatchController = {
  aborted: false,
  paused: false,
  reason: null,
  abort: () => undefined,
  pause: () => undefined,
  resume: () => undefined,
};
