import type { OutboundCall, Service } from './layer';
import type { UpstreamResponse } from './upstream';

interface Waiter {
  call: OutboundCall;
  next: Service;
  since: number;
  resolve(r: Promise<UpstreamResponse>): void;
  reject(err: unknown): void;
  unsubscribe(): void;
}

/**
 * Calls parked by a layer until it lets them on (release) or gives up on them (fail). FIFO and
 * bounded by the caller; a call whose abort fires (route timeout, client gone) leaves the queue at
 * once and fails with the abort's reason.
 */
export class WaitQueue {
  private waiters: Waiter[] = [];

  get size(): number {
    return this.waiters.length;
  }

  /** When the oldest waiter arrived; undefined when empty. */
  oldestSince(): number | undefined {
    return this.waiters[0]?.since;
  }

  park(call: OutboundCall, next: Service, now: number): Promise<UpstreamResponse> {
    if (call.abort.aborted) return Promise.reject(call.abort.reason);
    return new Promise<UpstreamResponse>((resolve, reject) => {
      const waiter: Waiter = { call, next, since: now, resolve, reject, unsubscribe: () => undefined };
      waiter.unsubscribe = call.abort.subscribe(() => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(call.abort.reason);
      });
      this.waiters.push(waiter);
    });
  }

  /** Sends every waiter on to its next service. */
  release(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) {
      w.unsubscribe();
      w.resolve(w.next(w.call));
    }
  }

  fail(err: unknown): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) {
      w.unsubscribe();
      w.reject(err);
    }
  }

  /** Fails the waiters that arrived at or before `cutoff` (they are at the front). */
  failOlderThan(cutoff: number, err: unknown): void {
    while (this.waiters.length > 0 && (this.waiters[0] as Waiter).since <= cutoff) {
      const w = this.waiters.shift() as Waiter;
      w.unsubscribe();
      w.reject(err);
    }
  }
}
