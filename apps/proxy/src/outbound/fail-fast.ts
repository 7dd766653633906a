import { FailFastGate, type Clock } from '@trellis/balance';
import { OutboundError } from './errors';
import type { Layer, OutboundCall, Readiness, ReadySignal, Service } from './layer';
import type { UpstreamResponse } from './upstream';
import { WaitQueue } from './wait-queue';

/** linkerd2-proxy: a backend with no ready endpoint for this long enters fail-fast. */
export const FAIL_FAST_TIMEOUT_MS = 3_000;
/** linkerd2-proxy: outbound HTTP queue capacity (requests waiting for the backend to become ready). */
export const MAX_PENDING_REQUESTS = 10_000;

export interface FailFastDeps {
  authority: string;
  clock: Clock;
  failFastMs: number;
  /** The rest of the backend's stack (the scale-from-zero hold, then the balancer). */
  inner: Readiness;
  signal: ReadySignal;
}

/**
 * fail-fast gate (linkerd2-proxy's failfast): while the backend below is ready, calls go straight
 * through. While it is not, they wait in a bounded queue (beyond: 503 `pending request queue
 * full`); once the first of them has waited failFastMs, the backend is in fail-fast: the queue and
 * every new call fail at once with 503 `service in fail-fast` until the backend is ready again.
 * The state machine is FailFastGate (libs/balance); this layer owns the queue and the one timer.
 */
export class FailFastLayer {
  private readonly gate: FailFastGate;
  private readonly queue = new WaitQueue();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly deps: FailFastDeps) {
    this.gate = new FailFastGate(deps.clock, deps.failFastMs, deps.inner.isReady());
    deps.signal.subscribe(() => this.onReadiness());
  }

  readonly layer: Layer = (next) => (call) => {
    if (this.closed) return Promise.reject(new OutboundError('SHUTTING_DOWN', 'the proxy is shutting down'));
    switch (this.gate.admit()) {
      case 'pass':
        return next(call);
      case 'fail':
        this.failQueue();
        this.deps.inner.demand(0);
        return Promise.reject(this.failFastError());
      case 'wait':
        return this.wait(call, next);
    }
  };

  get state(): string {
    return this.gate.state;
  }

  get waiting(): number {
    return this.queue.size;
  }

  /** Idempotent: waiting calls fail with SHUTTING_DOWN, new ones too. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    this.queue.fail(new OutboundError('SHUTTING_DOWN', 'the proxy is shutting down'));
  }

  private wait(call: OutboundCall, next: Service): Promise<UpstreamResponse> {
    if (this.queue.size >= MAX_PENDING_REQUESTS) {
      return Promise.reject(new OutboundError('QUEUE_FULL', `${this.deps.authority}: ${MAX_PENDING_REQUESTS} requests already wait for an endpoint`));
    }
    const parked = this.queue.park(call, next, this.deps.clock.now());
    this.armTimer();
    this.deps.inner.demand(this.queue.size);
    return parked;
  }

  private onReadiness(): void {
    if (this.closed) return;
    const ready = this.deps.inner.isReady();
    if (!this.gate.setReady(ready)) {
      // Still not ready, with calls waiting: the layers below may act on it now (a poke once the service is known).
      if (!ready && this.queue.size > 0) this.deps.inner.demand(this.queue.size);
      return;
    }
    clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.release();
  }

  private armTimer(): void {
    if (this.timer !== undefined) return;
    const deadline = this.gate.deadlineMs();
    if (deadline === undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      // Timers may fire a little before the clock reaches the deadline: then wait the rest.
      if (this.gate.expire()) this.failQueue();
      else this.armTimer();
    }, Math.max(1, Math.ceil(deadline - this.deps.clock.now())));
  }

  private failQueue(): void {
    this.queue.fail(this.failFastError());
  }

  private failFastError(): OutboundError {
    return new OutboundError('FAIL_FAST', `${this.deps.authority} had no ready endpoint for ${this.deps.failFastMs} ms`);
  }
}
