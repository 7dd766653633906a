/**
 * Knative's queue-proxy breaker as a pure data structure: at most `capacity` holders run at once and
 * at most `queueLimit` more wait, first in first out. No timers and no I/O: the caller decides when a
 * waiter gives up (`cancel`) and runs whoever `release` hands the freed slot to.
 *
 * Invariant: waiting is non-empty only while running === capacity.
 */
export type Admission = 'run' | 'queued' | 'rejected';

export class Breaker<T> {
  private running = 0;
  // A Set keeps insertion order (FIFO) and removes a cancelled waiter in O(1).
  private readonly waiting = new Set<T>();

  constructor(
    readonly capacity: number,
    readonly queueLimit: number,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('breaker capacity must be a positive integer');
    if (!Number.isInteger(queueLimit) || queueLimit < 0) throw new RangeError('breaker queue limit must be a non-negative integer');
  }

  get inFlight(): number {
    return this.running;
  }

  get queued(): number {
    return this.waiting.size;
  }

  /** Takes a slot ('run'), joins the queue ('queued') or is refused because the queue is full. */
  acquire(waiter: T): Admission {
    if (this.running < this.capacity) {
      this.running++;
      return 'run';
    }
    if (this.waiting.size >= this.queueLimit) return 'rejected';
    this.waiting.add(waiter);
    return 'queued';
  }

  /** Frees a slot; returns the waiter that now holds it (the caller must start it), if any. */
  release(): T | undefined {
    if (this.running === 0) throw new Error('breaker released more often than acquired');
    for (const next of this.waiting) {
      this.waiting.delete(next);
      return next;
    }
    this.running--;
    return undefined;
  }

  /** Removes a waiter that gave up; false if it was not waiting (already admitted or never queued). */
  cancel(waiter: T): boolean {
    return this.waiting.delete(waiter);
  }
}
