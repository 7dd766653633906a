import {
  createBalancer,
  ExponentialBackoff,
  OutlierDetector,
  type Balancer,
  type Clock,
  type Endpoint,
  type EndpointLoadView,
  type Ejection,
  type Random,
} from '@trellis/balance';
import type { Logger } from 'pino';
import type { ResolvedEndpoint, Resolution } from '@trellis/discovery';
import type { BackendPolicy } from './backend-policy';
import { DEFAULT_OUTLIER } from './backend-policy';
import type { EndpointConnections } from './endpoint-connections';
import { OutboundError } from './errors';
import type { EndpointChoice, Layer, OutboundCall, ReadySignal, Service } from './layer';
import type { EndpointSeries } from './metrics';
import type { EndpointView } from './scale-from-zero';
import type { UpstreamResponse } from './upstream';

/** linkerd2-proxy's outbound connect backoff (LINKERD2_PROXY_OUTBOUND_CONNECT_BACKOFF_MIN/MAX/JITTER). */
export const CONNECT_BACKOFF_MIN_MS = 100;
export const CONNECT_BACKOFF_MAX_MS = 500;
export const CONNECT_BACKOFF_JITTER = 0.1;

/** A discovered endpoint with its connections and metric series. */
export interface EndpointEntry {
  endpoint: ResolvedEndpoint;
  connections: EndpointConnections;
  series: EndpointSeries;
}

export interface BalanceDeps {
  authority: string;
  clock: Clock;
  random: Random;
  logger: Logger;
  signal: ReadySignal;
  policy: BackendPolicy;
  /** Connections and series for a newly discovered endpoint. */
  newEntry(endpoint: ResolvedEndpoint): EndpointEntry;
  /** The pool of the authority itself, for a name the destination does not know (forwarded as Linkerd does). */
  direct(): EndpointChoice;
  onEjection(ejection: Ejection): void;
}

/** getaddrinfo's answers for a name that does not exist (or cannot be looked up now). */
const DNS_FAILURE_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME']);

function unresolvable(err: unknown): boolean {
  if (!(err instanceof OutboundError) || err.code !== 'CONNECT_FAILED') return false;
  const code = (err.cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && DNS_FAILURE_CODES.has(code);
}

type ResolutionState = 'pending' | 'not-found' | 'endpoints';

/** What introspection shows of one discovered endpoint (read-only, built on demand). */
export interface EndpointDescription {
  readonly id: string;
  readonly weight: number;
  readonly identity: string | undefined;
  /** In the balancer, or out of it until `outForMs` from now. */
  readonly state: 'ready' | 'ejected' | 'connect-backoff';
  readonly outForMs: number | undefined;
  /** Peak-EWMA cost and requests in flight; undefined while out of the balancer. */
  readonly load: EndpointLoadView | undefined;
}

export interface BalanceDescription {
  readonly resolution: ResolutionState;
  readonly balancer: string;
  readonly endpoints: readonly EndpointDescription[];
}

/** Why an endpoint is out of the balancer, and until when (the clock's ms). */
interface OutOfRotation {
  untilMs: number;
  reason: 'ejected' | 'connect-backoff';
}

/**
 * balance (with a hash key): the backend's endpoints, its balancer (P2C over peak-EWMA by default,
 * or the Service's `balancer.trellis.io/algorithm`) and outlier detection, fed by the destination's
 * diffs. An endpoint is picked when it is discovered, not ejected by the outlier detector (Envoy's
 * consecutive 5xx / gateway errors) and not in connect backoff (linkerd2-proxy: an endpoint that
 * refused a connection sits out 100 ms, doubling to 500 ms, so the request goes elsewhere). One timer
 * brings endpoints back when their time is up. Ready while an endpoint can be picked, or while the
 * service is not in the mesh (calls then go to the authority itself).
 */
export class BalanceLayer implements EndpointView {
  private state: ResolutionState = 'pending';
  private readonly entries = new Map<string, EndpointEntry>();
  private readonly out = new Map<string, OutOfRotation>();
  private readonly connectBackoffs = new Map<string, ExponentialBackoff>();
  private balancer: Balancer<EndpointEntry>;
  private outlier: OutlierDetector;
  private policy: BackendPolicy;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly deps: BalanceDeps) {
    this.policy = deps.policy;
    this.balancer = this.newBalancer(deps.policy);
    this.outlier = this.newOutlierDetector(deps.policy);
  }

  readonly layer: Layer = (next) => (call) => {
    if (this.state === 'not-found') {
      call.endpoint = this.deps.direct();
      return next(call).catch((err: unknown) => {
        throw unresolvable(err) ? new OutboundError('UNKNOWN_SERVICE', `${this.deps.authority} is not a known service, and DNS does not resolve it`, { cause: err }) : err;
      });
    }
    const picked = this.balancer.picker.pick(this.policy.keyOf?.(call.ex));
    if (picked.kind !== 'picked') {
      return Promise.reject(new OutboundError('FAIL_FAST', `${this.deps.authority} has no endpoint to pick`, { notSent: true }));
    }
    return this.send(call, next, picked.endpoint.value);
  };

  isReady(): boolean {
    return this.state === 'not-found' || this.balancer.size() > 0;
  }

  scaledToZero(): boolean {
    return this.state === 'endpoints' && this.entries.size === 0;
  }

  counts(): { ready: number; pending: number } {
    return { ready: this.balancer.size(), pending: this.entries.size - this.balancer.size() };
  }

  /** A snapshot for the admin introspection pages. */
  describe(): BalanceDescription {
    const now = this.deps.clock.now();
    const endpoints = [...this.entries.values()].map(({ endpoint }): EndpointDescription => {
      const out = this.out.get(endpoint.id);
      return {
        id: endpoint.id,
        weight: endpoint.weight,
        identity: endpoint.identity,
        state: out === undefined ? 'ready' : out.reason,
        outForMs: out === undefined ? undefined : Math.max(0, Math.round(out.untilMs - now)),
        load: this.balancer.loadOf(endpoint.id),
      };
    });
    return { resolution: this.state, balancer: this.policy.balancer, endpoints };
  }

  /** Applies a resolution: diffs it against the current endpoints into add/remove updates of the balancer. */
  onResolution(r: Resolution): void {
    if (this.closed) return;
    const next = r.kind === 'endpoints' ? r.endpoints : new Map<string, ResolvedEndpoint>();
    this.state = r.kind;
    const removed: string[] = [];
    for (const [id, entry] of this.entries) {
      if (next.has(id)) continue;
      this.entries.delete(id);
      this.out.delete(id);
      this.connectBackoffs.delete(id);
      removed.push(id);
      // Drain: no longer picked; requests in flight finish before the sockets close.
      void entry.connections.close();
    }
    const added: Endpoint<EndpointEntry>[] = [];
    for (const [id, endpoint] of next) {
      let entry = this.entries.get(id);
      if (entry === undefined) {
        entry = this.deps.newEntry(endpoint);
        this.entries.set(id, entry);
      } else if (entry.endpoint.weight === endpoint.weight) {
        entry.endpoint = endpoint;
        continue;
      } else entry.endpoint = endpoint;
      if (!this.out.has(id)) added.push({ id, weight: endpoint.weight, value: entry });
    }
    if (removed.length > 0) this.balancer.update({ type: 'remove', ids: removed });
    if (added.length > 0) this.balancer.update({ type: 'add', endpoints: added });
    this.outlier.setEndpoints(this.entries.keys());
    // Every resolution is news above: readiness, or whether the service is scaled to zero (the hold pokes then).
    this.deps.signal.notify();
  }

  /** A new policy: a new balancer (and detector) when their settings changed; the endpoints stay. */
  setPolicy(policy: BackendPolicy): void {
    const previous = this.policy;
    this.policy = policy;
    if (policy.balancer !== previous.balancer) {
      this.balancer.close();
      this.balancer = this.newBalancer(policy);
      this.balancer.update({ type: 'reset', endpoints: this.inRotation() });
    }
    if (JSON.stringify(policy.outlier) !== JSON.stringify(previous.outlier)) {
      this.outlier = this.newOutlierDetector(policy);
      this.outlier.setEndpoints(this.entries.keys());
    }
  }

  /** Idempotent: stops picking and drains every endpoint's connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    this.balancer.close();
    const entries = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(entries.map((e) => e.connections.close()));
  }

  private send(call: OutboundCall, next: Service, entry: EndpointEntry): Promise<UpstreamResponse> {
    const id = entry.endpoint.id;
    const handle = this.balancer.start(id);
    call.endpoint = { id, series: entry.series, connections: entry.connections, handle };
    return next(call).then(
      (r) => {
        handle.firstByte();
        this.connectBackoffs.delete(id);
        this.recordEjection(this.outlier.recordStatus(id, r.status));
        r.onEnd(() => handle.end());
        return r;
      },
      (err: unknown) => {
        handle.end();
        this.recordFailure(id, err, call);
        throw err;
      },
    );
  }

  private recordFailure(id: string, err: unknown, call: OutboundCall): void {
    if (!(err instanceof OutboundError) || call.abort.aborted) return;
    if (err.code === 'CONNECT_FAILED') {
      this.recordEjection(this.outlier.recordConnectFailure(id));
      this.startConnectBackoff(id);
    } else if (err.code === 'UPSTREAM_FAILED') {
      // A reset or a protocol error is a gateway error to the outlier detector, as a 502 would be.
      this.recordEjection(this.outlier.recordStatus(id, 502));
    }
  }

  private startConnectBackoff(id: string): void {
    if (!this.entries.has(id) || this.out.has(id)) return;
    let backoff = this.connectBackoffs.get(id);
    if (backoff === undefined) {
      backoff = new ExponentialBackoff({
        random: this.deps.random,
        minMs: CONNECT_BACKOFF_MIN_MS,
        maxMs: CONNECT_BACKOFF_MAX_MS,
        jitter: CONNECT_BACKOFF_JITTER,
      });
      this.connectBackoffs.set(id, backoff);
    }
    this.takeOut(id, { untilMs: this.deps.clock.now() + backoff.next(), reason: 'connect-backoff' });
  }

  private recordEjection(ejection: Ejection | null): void {
    if (ejection === null || !this.entries.has(ejection.id)) return;
    this.deps.logger.info({ backend: this.deps.authority, endpoint: ejection.id, reason: ejection.reason, untilMs: ejection.untilMs }, 'endpoint ejected');
    this.deps.onEjection(ejection);
    this.takeOut(ejection.id, { untilMs: ejection.untilMs, reason: 'ejected' });
  }

  private takeOut(id: string, why: OutOfRotation): void {
    const current = this.out.get(id);
    if (current !== undefined && current.untilMs >= why.untilMs) return;
    const wasReady = this.isReady();
    this.out.set(id, why);
    if (current === undefined) this.balancer.update({ type: 'remove', ids: [id] });
    this.armTimer();
    if (this.isReady() !== wasReady) this.deps.signal.notify();
  }

  private bringBack(): void {
    this.timer = undefined;
    const now = this.deps.clock.now();
    const back: Endpoint<EndpointEntry>[] = [];
    for (const [id, why] of this.out) {
      if (why.untilMs > now) continue;
      this.out.delete(id);
      const entry = this.entries.get(id);
      if (entry !== undefined) back.push({ id, weight: entry.endpoint.weight, value: entry });
    }
    const wasReady = this.isReady();
    if (back.length > 0) this.balancer.update({ type: 'add', endpoints: back });
    this.armTimer();
    if (this.isReady() !== wasReady) this.deps.signal.notify();
  }

  private armTimer(): void {
    if (this.closed) return;
    let earliest = Infinity;
    for (const why of this.out.values()) earliest = Math.min(earliest, why.untilMs);
    clearTimeout(this.timer);
    this.timer = undefined;
    if (earliest === Infinity) return;
    this.timer = setTimeout(() => this.bringBack(), Math.max(1, Math.ceil(earliest - this.deps.clock.now())));
    this.timer.unref();
  }

  private inRotation(): Endpoint<EndpointEntry>[] {
    const endpoints: Endpoint<EndpointEntry>[] = [];
    for (const [id, entry] of this.entries) if (!this.out.has(id)) endpoints.push({ id, weight: entry.endpoint.weight, value: entry });
    return endpoints;
  }

  private newBalancer(policy: BackendPolicy): Balancer<EndpointEntry> {
    return createBalancer<EndpointEntry>(policy.balancer, { clock: this.deps.clock, random: this.deps.random });
  }

  private newOutlierDetector(policy: BackendPolicy): OutlierDetector {
    try {
      return new OutlierDetector({ clock: this.deps.clock, ...policy.outlier });
    } catch (err) {
      this.deps.logger.warn({ backend: this.deps.authority, err: (err as Error).message }, 'invalid outlier detection settings; using the defaults');
      return new OutlierDetector({ clock: this.deps.clock, ...DEFAULT_OUTLIER });
    }
  }
}
