/** Knative floors window averages to 6 decimal digits (aggregation.roundToNDigits). */
const AVERAGE_PRECISION = 1e6;

/**
 * Values summed into time buckets of `granularitySec` over a window, averaged as Knative's
 * aggregation.TimedFloat64Buckets: a ring of ceil(window / granularity) buckets indexed by
 * floor(unixSeconds / granularity).
 *
 * Invariants: buckets skipped between two writes are zeroed (a gap inside the window counts as 0); a write after a
 * whole window of silence clears everything and restarts `first`; the average divides by the buckets that hold valid
 * data: never more than have been written since `first` (a young series averages over its own age), and, when the
 * last write is older than now, only the part of the window that precedes now.
 */
export class TimedBuckets {
  private readonly granularitySec: number;
  private readonly windowSec: number;
  private buckets: Float64Array;
  private first: number | undefined;
  private last: number | undefined;

  constructor(windowSec: number, granularitySec: number) {
    this.granularitySec = granularitySec;
    this.windowSec = windowSec;
    this.buckets = new Float64Array(Math.max(1, Math.ceil(windowSec / granularitySec)));
    this.first = undefined;
    this.last = undefined;
  }

  record(nowMs: number, value: number): void {
    const idx = this.index(nowMs);
    const n = this.buckets.length;
    if (this.last === undefined || (idx - this.last) * this.granularitySec >= this.windowSec) {
      this.buckets.fill(0);
      this.first = idx;
      this.last = idx;
    } else if (idx > this.last) {
      for (let i = this.last + 1; i <= idx; i++) this.buckets[mod(i, n)] = 0;
      this.last = idx;
    } else if (this.last - idx >= n) {
      return;
    }
    if (this.first === undefined || idx < this.first) this.first = idx;
    this.buckets[mod(idx, n)] = (this.buckets[mod(idx, n)] ?? 0) + value;
  }

  /** True when nothing was written during the last window. */
  isEmpty(nowMs: number): boolean {
    return this.last === undefined || (this.index(nowMs) - this.last) * this.granularitySec > this.windowSec;
  }

  windowAverage(nowMs: number): number {
    if (this.last === undefined || this.first === undefined || this.isEmpty(nowMs)) return 0;
    const n = this.buckets.length;
    const now = Math.max(this.index(nowMs), this.last);
    const lo = now - n + 1;
    if (lo > this.last) return 0;
    let sum = 0;
    for (let i = lo; i <= this.last; i++) sum += this.buckets[mod(i, n)] ?? 0;
    const count = Math.min(this.last - this.first + 1, this.last - lo + 1);
    return Math.floor((sum / count) * AVERAGE_PRECISION) / AVERAGE_PRECISION;
  }

  private index(nowMs: number): number {
    return Math.floor(Math.floor(nowMs / 1000) / this.granularitySec);
  }
}

function mod(i: number, n: number): number {
  return ((i % n) + n) % n;
}
