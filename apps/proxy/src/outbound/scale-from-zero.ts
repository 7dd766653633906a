import type { Clock } from '@trellis/balance';
import type { Logger } from 'pino';
import { pokeTarget, type Poke } from './autoscaler-poke';
import { OutboundError } from './errors';
import type { Layer, Readiness, ReadySignal } from './layer';
import { WaitQueue } from './wait-queue';

/** Ours: requests held while the autoscaler scales a service up from zero. */
export const MAX_HELD_REQUESTS = 1_000;
/** Ours: the longest a request is held waiting for a scale from zero. */
export const HOLD_TIMEOUT_MS = 60_000;
/** Ours: how often the autoscaler is poked again while requests are held. */
export const REPOKE_INTERVAL_MS = 2_000;

/** What this layer needs to know of the balancer below it. */
export interface EndpointView {
  isReady(): boolean;
  /** The service exists and has no endpoint at all (scaled to zero), as opposed to not resolved yet or not found. */
  scaledToZero(): boolean;
}

export interface ScaleFromZeroDeps {
  authority: string;
  clock: Clock;
  logger: Logger;
  /** Undefined when no autoscaler is configured: the layer then passes everything through. */
  poke: Poke | undefined;
  inner: EndpointView;
  signal: ReadySignal;
}

/**
 * scale-from-zero hold (Knative's activator role, in the client's proxy). States:
 * - idle: calls pass through; readiness is the balancer's.
 * - poking: the gate above reported waiting calls for a service with no endpoint; the autoscaler is
 *   asked (POST /poke) to scale it up. A refusal (non-2xx, unknown target, no answer) keeps the
 *   normal fail-fast and is not repeated for REPOKE_INTERVAL_MS.
 * - holding: the autoscaler accepted; the layer reports ready, so the gate lets calls down, and
 *   holds them (at most MAX_HELD_REQUESTS, each at most HOLD_TIMEOUT_MS, then 503 `scale from
 *   zero timed out`), poking again every REPOKE_INTERVAL_MS while any wait. When an endpoint
 *   appears they are released to the balancer and the layer is idle again; a later refusal fails
 *   them fast.
 */
export class ScaleFromZeroLayer implements Readiness {
  private holding = false;
  private readonly held = new WaitQueue();
  private pokeInFlight = false;
  private lastRefusedMs = -Infinity;
  private repokeTimer: NodeJS.Timeout | undefined;
  private holdTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly deps: ScaleFromZeroDeps) {
    deps.signal.subscribe(() => this.onReadiness());
  }

  readonly layer: Layer = (next) => (call) => {
    if (!this.holding || this.deps.inner.isReady()) return next(call);
    if (this.held.size >= MAX_HELD_REQUESTS) {
      return Promise.reject(new OutboundError('QUEUE_FULL', `${this.deps.authority}: ${MAX_HELD_REQUESTS} requests already held for a scale from zero`));
    }
    const parked = this.held.park(call, next, this.deps.clock.now());
    this.armHoldTimer();
    return parked;
  };

  isReady(): boolean {
    return this.holding || this.deps.inner.isReady();
  }

  demand(waiting: number): void {
    if (this.mayPoke()) this.sendPoke(waiting);
  }

  get heldRequests(): number {
    return this.held.size;
  }

  /** Idempotent: held calls fail with SHUTTING_DOWN. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stopHolding(new OutboundError('SHUTTING_DOWN', 'the proxy is shutting down'));
  }

  private onReadiness(): void {
    if (!this.holding || !this.deps.inner.isReady()) return;
    this.holding = false;
    this.clearTimers();
    this.held.release();
  }

  private mayPoke(): boolean {
    return (
      this.deps.poke !== undefined &&
      !this.closed &&
      !this.pokeInFlight &&
      this.repokeTimer === undefined &&
      this.deps.clock.now() - this.lastRefusedMs >= REPOKE_INTERVAL_MS &&
      this.deps.inner.scaledToZero()
    );
  }

  private sendPoke(waiting: number): void {
    const target = pokeTarget(this.deps.authority);
    const poke = this.deps.poke;
    if (target === null || poke === undefined) return;
    this.pokeInFlight = true;
    void poke(target, waiting + this.held.size).then((accepted) => {
      this.pokeInFlight = false;
      if (this.closed) return;
      if (accepted) this.accepted();
      else this.refused();
    });
  }

  private accepted(): void {
    if (this.deps.inner.isReady()) return;
    if (!this.holding) {
      this.deps.logger.info({ authority: this.deps.authority }, 'holding requests for a scale from zero');
      this.holding = true;
      this.deps.signal.notify();
    }
    this.repokeTimer = setTimeout(() => {
      this.repokeTimer = undefined;
      if (this.holding && this.held.size > 0) this.sendPoke(0);
    }, REPOKE_INTERVAL_MS);
  }

  private refused(): void {
    this.lastRefusedMs = this.deps.clock.now();
    if (!this.holding) return;
    this.stopHolding(new OutboundError('FAIL_FAST', `the autoscaler refused to scale ${this.deps.authority} up`));
    this.deps.signal.notify();
  }

  private stopHolding(err: OutboundError): void {
    this.holding = false;
    this.clearTimers();
    this.held.fail(err);
  }

  /** Held calls are FIFO with equal hold times, so one timer for the oldest is enough. */
  private armHoldTimer(): void {
    if (this.holdTimer !== undefined) return;
    const oldest = this.held.oldestSince();
    if (oldest === undefined) return;
    this.holdTimer = setTimeout(() => {
      this.holdTimer = undefined;
      const timeout = new OutboundError('SCALE_FROM_ZERO_TIMEOUT', `${this.deps.authority} did not scale up within ${HOLD_TIMEOUT_MS} ms`);
      this.held.failOlderThan(this.deps.clock.now() - HOLD_TIMEOUT_MS, timeout);
      this.armHoldTimer();
    }, Math.max(1, Math.ceil(oldest + HOLD_TIMEOUT_MS - this.deps.clock.now())));
  }

  private clearTimers(): void {
    clearTimeout(this.repokeTimer);
    clearTimeout(this.holdTimer);
    this.repokeTimer = undefined;
    this.holdTimer = undefined;
  }
}
