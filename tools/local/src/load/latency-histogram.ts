// Latencies are recorded into logarithmic buckets 2 % wide from 10 µs up, so any percentile is known to
// within 2 % with a fixed, small memory (the same idea as HdrHistogram, far simpler).
const MIN_MS = 0.01;
const GROWTH = 1.02;
const BUCKETS = 1200; // 0.01 ms × 1.02^1200 ≈ 2×10^8 ms: every latency the tool can see fits

function bucketOf(ms: number): number {
  if (ms <= MIN_MS) return 0;
  return Math.min(BUCKETS - 1, Math.ceil(Math.log(ms / MIN_MS) / Math.log(GROWTH)));
}

function upperBound(bucket: number): number {
  return MIN_MS * Math.pow(GROWTH, bucket);
}

export class LatencyHistogram {
  private readonly counts = new Uint32Array(BUCKETS);
  private total = 0;
  private maxMs = 0;

  get count(): number {
    return this.total;
  }

  record(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    this.counts[bucketOf(ms)] = (this.counts[bucketOf(ms)] ?? 0) + 1;
    this.total += 1;
    this.maxMs = Math.max(this.maxMs, ms);
  }

  /** The q-quantile (0 < q <= 1) in ms, never above the largest value seen; undefined when empty. */
  percentile(q: number): number | undefined {
    if (this.total === 0) return undefined;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let b = 0; b < BUCKETS; b++) {
      seen += this.counts[b] ?? 0;
      // The last bucket also holds everything beyond its bound.
      if (seen >= rank) return b === BUCKETS - 1 ? this.maxMs : Math.min(upperBound(b), this.maxMs);
    }
    return this.maxMs;
  }

  reset(): void {
    this.counts.fill(0);
    this.total = 0;
    this.maxMs = 0;
  }
}
