import type { Balancer, RequestHandle } from '@trellis/balance';
import type { Logger } from 'pino';
import type { Observable, Subscription } from 'rxjs';
import type { ResolvedEndpoint, Resolution } from '../discovery/resolution';
import { pokeTarget, type Poke } from './autoscaler-poke';
import { EndpointConnections } from './endpoint-connections';
import { OutboundError } from './errors';
import type { EndpointSeries } from './metrics';

/** linkerd2-proxy: a backend with no ready endpoint for this long enters fail-fast. */
export const FAIL_FAST_TIMEOUT_MS = 3_000;
/** linkerd2-proxy: outbound HTTP queue capacity (requests waiting for an endpoint). */
export const MAX_PENDING_REQUESTS = 10_000;
/** Ours: requests held while the autoscaler scales a service up from zero. */
export const MAX_HELD_REQUESTS = 1_000;
/** Ours: the longest a request is held waiting for a scale from zero. */
export const HOLD_TIMEOUT_MS = 60_000;
/** Ours: how often the autoscaler is poked again while requests are held. */
export const REPOKE_INTERVAL_MS = 2_000;

export interface EndpointEntry {
  endpoint: ResolvedEndpoint;
  connections: EndpointConnections;
  series: EndpointSeries;
}

export type Acquired = { kind: 'endpoint'; entry: EndpointEntry; handle: RequestHandle } | { kind: 'direct' };

/** A request waiting at the gate; cancel() when its caller gives up (timeout, client gone). */
export interface PendingAcquire {
  kind: 'pending';
  promise: Promise<Acquired>;
  cancel(): void;
}

export interface BackendDeps {
  balancer: Balancer<EndpointEntry>;
  logger: Logger;
  series: (endpoint: ResolvedEndpoint) => EndpointSeries;
  poke: Poke | undefined;
  failFastMs: number;
}

interface Waiter {
  resolve(a: Acquired): void;
  reject(err: OutboundError): void;
  heldUntil: number;
  cancelled: boolean;
}

/**
 * One concrete backend: a resolution stream feeding a balancer, with a gate in front.
 *
 * Gate states (linkerd2-proxy's failfast):
 * - open: endpoints are ready; requests are balanced at once.
 * - waiting: no ready endpoint (or no resolution yet); requests queue (bounded) and a timer runs.
 * - fail-fast: the timer fired; queued and new requests fail at once with 503 until an endpoint appears.
 * - holding: the service exists with no endpoint and the autoscaler accepted a poke; requests
 *   are held (bounded in count and time) and the autoscaler is poked again while they wait.
 * A not-found resolution answers every request with `direct` (forward to the authority itself).
 */
export class Backend {
  private resolution: Resolution | undefined;
  private readonly entries = new Map<string, EndpointEntry>();
  private waiters: Waiter[] = [];
  private gate: 'open' | 'waiting' | 'fail-fast' | 'holding' = 'waiting';
  private failFastTimer: NodeJS.Timeout | undefined;
  private holdTimer: NodeJS.Timeout | undefined;
  private repokeTimer: NodeJS.Timeout | undefined;
  private pokeInFlight = false;
  private lastRefusedMs = -Infinity;
  private readonly subscription: Subscription;
  private closed = false;
  lastUsedMs = performance.now();

  constructor(
    readonly authority: string,
    resolution$: Observable<Resolution>,
    private readonly deps: BackendDeps,
  ) {
    this.subscription = resolution$.subscribe({
      next: (r) => this.onResolution(r),
      error: (err: unknown) => deps.logger.error({ authority, err }, 'resolution stream failed'),
    });
  }

  /** Synchronous when an endpoint is ready; otherwise pending until the gate settles it. Throws OutboundError. */
  acquire(): Acquired | PendingAcquire {
    this.lastUsedMs = performance.now();
    if (this.closed) throw new OutboundError('SHUTTING_DOWN', 'the proxy is shutting down');
    if (this.resolution?.kind === 'not-found') return { kind: 'direct' };
    if (this.gate === 'open') {
      const picked = this.pick();
      if (picked !== null) return picked;
    }
    if (this.gate === 'fail-fast') {
      // A poke accepted in the background reopens the gate for the requests after this one.
      if (this.mayPoke()) this.sendPoke();
      throw new OutboundError('FAIL_FAST', `${this.authority} has no ready endpoint`);
    }
    return this.enqueue();
  }

  readyEndpoints(): number {
    return this.deps.balancer.size();
  }

  pendingRequests(): number {
    return this.waiters.length;
  }

  gateState(): string {
    return this.gate;
  }

  /** Idempotent: fails waiting requests, stops the stream and drains every endpoint's connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.subscription.unsubscribe();
    this.clearTimers();
    this.rejectAll(new OutboundError('SHUTTING_DOWN', 'the proxy is shutting down'));
    this.deps.balancer.close();
    const entries = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(entries.map((e) => e.connections.close()));
  }

  private pick(): Acquired | null {
    const result = this.deps.balancer.picker.pick();
    if (result.kind !== 'picked') return null;
    const entry = result.endpoint.value;
    return { kind: 'endpoint', entry, handle: this.deps.balancer.start(result.endpoint.id) };
  }

  private enqueue(): PendingAcquire {
    const limit = this.gate === 'holding' ? MAX_HELD_REQUESTS : MAX_PENDING_REQUESTS;
    if (this.waiters.length >= limit) {
      throw new OutboundError('QUEUE_FULL', `${this.authority}: ${limit} requests already waiting for an endpoint`);
    }
    let waiter!: Waiter;
    const promise = new Promise<Acquired>((resolve, reject) => {
      waiter = { resolve, reject, heldUntil: performance.now() + HOLD_TIMEOUT_MS, cancelled: false };
    });
    this.waiters.push(waiter);
    if (this.gate === 'waiting') {
      this.failFastTimer ??= setTimeout(() => this.enterFailFast(), this.deps.failFastMs);
      if (this.mayPoke()) this.sendPoke();
    }
    if (this.gate === 'holding' && this.holdTimer === undefined) this.armHoldTimer();
    return {
      kind: 'pending',
      promise,
      cancel: () => {
        waiter.cancelled = true;
      },
    };
  }

  private onResolution(r: Resolution): void {
    if (this.closed) return;
    this.resolution = r;
    const next = r.kind === 'endpoints' ? r.endpoints : new Map<string, ResolvedEndpoint>();
    for (const [id, entry] of this.entries) {
      if (next.has(id)) continue;
      this.entries.delete(id);
      // Drain: the balancer no longer picks it; requests in flight finish before the sockets close.
      void entry.connections.close();
    }
    const endpoints = [];
    for (const [id, endpoint] of next) {
      let entry = this.entries.get(id);
      if (entry === undefined) {
        entry = { endpoint, connections: new EndpointConnections(id, this.deps.logger), series: this.deps.series(endpoint) };
        this.entries.set(id, entry);
      } else if (entry.endpoint !== endpoint) {
        entry.endpoint = endpoint;
      }
      endpoints.push({ id, weight: endpoint.weight, value: entry });
    }
    this.deps.balancer.update({ type: 'reset', endpoints });
    if (r.kind === 'not-found') {
      this.gate = 'open';
      this.clearTimers();
      this.drain(() => ({ kind: 'direct' }));
    } else if (this.deps.balancer.size() > 0) {
      this.gate = 'open';
      this.clearTimers();
      this.drain(() => this.pick());
    } else {
      if (this.gate === 'open') this.gate = 'waiting';
      if (this.gate === 'waiting' && this.waiters.length > 0 && this.mayPoke()) this.sendPoke();
    }
  }

  private drain(next: () => Acquired | null): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) {
      if (w.cancelled) continue;
      const acquired = next();
      if (acquired === null) this.waiters.push(w);
      else w.resolve(acquired);
    }
  }

  private enterFailFast(): void {
    this.failFastTimer = undefined;
    if (this.gate !== 'waiting') return;
    this.gate = 'fail-fast';
    this.rejectAll(new OutboundError('FAIL_FAST', `${this.authority} had no ready endpoint for ${this.deps.failFastMs} ms`));
  }

  private mayPoke(): boolean {
    return (
      this.deps.poke !== undefined &&
      !this.pokeInFlight &&
      this.repokeTimer === undefined &&
      performance.now() - this.lastRefusedMs >= REPOKE_INTERVAL_MS &&
      this.resolution?.kind === 'endpoints' &&
      this.resolution.endpoints.size === 0
    );
  }

  private sendPoke(): void {
    const target = pokeTarget(this.authority);
    const poke = this.deps.poke;
    if (target === null || poke === undefined) return;
    this.pokeInFlight = true;
    void poke(target, this.waiters.length).then((accepted) => {
      this.pokeInFlight = false;
      if (this.closed) return;
      if (!accepted) {
        this.lastRefusedMs = performance.now();
        if (this.gate === 'holding') this.leaveHolding();
        return;
      }
      if (this.gate === 'fail-fast') this.gate = 'waiting';
      if (this.gate === 'open' || this.waiters.length === 0) return;
      if (this.gate !== 'holding') {
        this.deps.logger.info({ authority: this.authority, held: this.waiters.length }, 'holding requests for a scale from zero');
        this.gate = 'holding';
        clearTimeout(this.failFastTimer);
        this.failFastTimer = undefined;
        this.armHoldTimer();
      }
      this.repokeTimer = setTimeout(() => {
        this.repokeTimer = undefined;
        if (this.gate === 'holding' && this.waiters.length > 0) this.sendPoke();
      }, REPOKE_INTERVAL_MS);
    });
  }

  private leaveHolding(): void {
    this.gate = 'waiting';
    clearTimeout(this.holdTimer);
    this.holdTimer = undefined;
    this.failFastTimer ??= setTimeout(() => this.enterFailFast(), this.deps.failFastMs);
  }

  /** Waiters are FIFO with equal hold times, so one timer for the oldest is enough. */
  private armHoldTimer(): void {
    clearTimeout(this.holdTimer);
    this.holdTimer = undefined;
    const now = performance.now();
    while (this.waiters.length > 0) {
      const head = this.waiters[0] as Waiter;
      if (head.cancelled) {
        this.waiters.shift();
        continue;
      }
      if (head.heldUntil > now) break;
      this.waiters.shift();
      head.reject(new OutboundError('SCALE_FROM_ZERO_TIMEOUT', `${this.authority} did not scale up within ${HOLD_TIMEOUT_MS} ms`));
    }
    const head = this.waiters[0];
    if (head === undefined || this.gate !== 'holding') return;
    this.holdTimer = setTimeout(() => this.armHoldTimer(), Math.max(1, head.heldUntil - now));
  }

  private rejectAll(err: OutboundError): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) if (!w.cancelled) w.reject(err);
  }

  private clearTimers(): void {
    clearTimeout(this.failFastTimer);
    clearTimeout(this.holdTimer);
    clearTimeout(this.repokeTimer);
    this.failFastTimer = undefined;
    this.holdTimer = undefined;
    this.repokeTimer = undefined;
  }
}
