/**
 * The largest value recorded over the last `durationSec`, in buckets of `granularitySec` keyed by
 * floor(unixSeconds / granularity), as Knative's aggregation/max.TimeWindow. It keeps a descending run of
 * (bucket, value) entries: a new value drops every older entry that is not larger (it can never be the maximum
 * again), entries that fell out of the window are dropped from the front, and two values in the same bucket
 * keep the larger. The front is therefore always the current maximum.
 */
export class MaxTimeWindow {
  private readonly size: number;
  private readonly granularitySec: number;
  private entries: { index: number; value: number }[] = [];

  constructor(durationSec: number, granularitySec: number) {
    this.size = Math.ceil(durationSec / granularitySec);
    this.granularitySec = granularitySec;
  }

  record(nowMs: number, value: number): void {
    const index = Math.floor(Math.floor(nowMs / 1000) / this.granularitySec);
    const entries = this.entries;
    while (entries.length > 0 && value >= (entries[entries.length - 1] as { value: number }).value) entries.pop();
    while (entries.length > 0 && index - (entries[0] as { index: number }).index >= this.size) entries.shift();
    const last = entries[entries.length - 1];
    let v = value;
    if (last !== undefined && last.index === index) {
      v = Math.max(v, last.value);
      entries.pop();
    }
    entries.push({ index, value: v });
  }

  /** The maximum over the window; 0 before anything was recorded. */
  current(): number {
    return this.entries[0]?.value ?? 0;
  }
}
