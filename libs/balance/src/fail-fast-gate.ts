import { requirePositive } from './errors';
import type { Clock } from './types';

export type GateState = 'open' | 'waiting' | 'fail-fast';
/** What to do with a request: send it on, queue it until the gate settles, or fail it at once. */
export type GateAdmission = 'pass' | 'wait' | 'fail';

/**
 * linkerd2-proxy's fail-fast (linkerd/stack/src/failfast.rs) as a pure state machine over an
 * injected clock; the caller owns the queue and the one timer (armed for deadlineMs()).
 *
 *   open      --setReady(false)-->            waiting (the timer starts with the first request that waits)
 *   waiting   --setReady(true)-->             open
 *   waiting   --timeout since the first wait--> fail-fast   (expire() or admit() notices it)
 *   fail-fast --setReady(true)-->             open
 *
 * open admits every request; waiting queues them; fail-fast fails them at once, so that a backend
 * with no endpoint answers 503 quickly instead of piling requests up.
 */
export class FailFastGate {
  private ready: boolean;
  private failing = false;
  private waitingSince: number | undefined;
  private readonly timeoutMs: number;

  constructor(
    private readonly clock: Clock,
    timeoutMs: number,
    ready = false,
  ) {
    this.timeoutMs = requirePositive('timeoutMs', timeoutMs);
    this.ready = ready;
  }

  get state(): GateState {
    if (this.ready) return 'open';
    return this.failing ? 'fail-fast' : 'waiting';
  }

  /** The inner service's readiness changed; true if this opened the gate (the caller releases its queue). */
  setReady(ready: boolean): boolean {
    const opened = ready && !this.ready;
    this.ready = ready;
    if (ready) {
      this.failing = false;
      this.waitingSince = undefined;
    }
    return opened;
  }

  admit(): GateAdmission {
    if (this.ready) return 'pass';
    if (this.failing) return 'fail';
    this.waitingSince ??= this.clock.now();
    return this.expire() ? 'fail' : 'wait';
  }

  /** Enters fail-fast if the wait has lasted the timeout; true when it did (the caller fails its queue). */
  expire(): boolean {
    if (this.ready || this.failing || this.waitingSince === undefined) return false;
    if (this.clock.now() - this.waitingSince < this.timeoutMs) return false;
    this.failing = true;
    return true;
  }

  /** When a waiting gate will enter fail-fast; undefined when no request has waited yet, or not waiting. */
  deadlineMs(): number | undefined {
    if (this.ready || this.failing || this.waitingSince === undefined) return undefined;
    return this.waitingSince + this.timeoutMs;
  }
}
