import { BUCKET_SIZE_SEC } from './defaults';
import type { Observed, ScalingMetric } from './decider';
import type { PodStat } from './pod-stat';
import { TimedBuckets } from './timed-buckets';

/**
 * The per-target metric history (Knative metrics.collection): concurrency and rps, each over the stable and the
 * panic window, in 1 s buckets. Requests already counted by a request-holding proxy (proxied) are subtracted so
 * they are not counted twice.
 */
export class MetricCollection {
  private concurrencyStable: TimedBuckets;
  private concurrencyPanic: TimedBuckets;
  private rpsStable: TimedBuckets;
  private rpsPanic: TimedBuckets;
  private windows: { stableSec: number; panicSec: number };

  constructor(stableWindowSec: number, panicWindowSec: number) {
    this.windows = { stableSec: stableWindowSec, panicSec: panicWindowSec };
    this.concurrencyStable = new TimedBuckets(stableWindowSec, BUCKET_SIZE_SEC);
    this.concurrencyPanic = new TimedBuckets(panicWindowSec, BUCKET_SIZE_SEC);
    this.rpsStable = new TimedBuckets(stableWindowSec, BUCKET_SIZE_SEC);
    this.rpsPanic = new TimedBuckets(panicWindowSec, BUCKET_SIZE_SEC);
  }

  get stableWindowSec(): number {
    return this.windows.stableSec;
  }

  get panicWindowSec(): number {
    return this.windows.panicSec;
  }

  /** Records one revision-wide stat (already scaled to all ready pods, or a poke). */
  record(nowMs: number, stat: PodStat): void {
    const concurrency = stat.averageConcurrentRequests - stat.averageProxiedConcurrentRequests;
    const rps = stat.requestCount - stat.proxiedRequestCount;
    this.concurrencyStable.record(nowMs, concurrency);
    this.concurrencyPanic.record(nowMs, concurrency);
    this.rpsStable.record(nowMs, rps);
    this.rpsPanic.record(nowMs, rps);
  }

  /** Stable and panic averages of the metric; undefined when the stable window holds no data (Knative ErrNoData). */
  observed(nowMs: number, metric: ScalingMetric): Observed | undefined {
    const [stable, panic] = metric === 'rps' ? [this.rpsStable, this.rpsPanic] : [this.concurrencyStable, this.concurrencyPanic];
    if (stable.isEmpty(nowMs)) return undefined;
    return { stable: stable.windowAverage(nowMs), panic: panic.windowAverage(nowMs) };
  }
}
