import { histogramQuantile } from './histogram-quantile';
import type { Sample } from './prometheus-text';

/** One scrape of one proxy's (or the autoscaler's) metrics endpoint. */
export interface Scrape {
  /** Where it was read from (host:port); keys the window diff, so a restarted process is seen as one. */
  readonly source: string;
  /** `namespace/name` of the workload the scraped proxy belongs to, when known (a client of the mesh otherwise). */
  readonly workload?: string;
  readonly samples: readonly Sample[];
}

/** Responses per outcome and their latency histogram (upper bound in ms → cumulative count). */
export interface Counts {
  success: number;
  failure: number;
  buckets: Map<number, number>;
}

/** Which counter and histogram a view reads, how it keys a sample, and what counts as a success. */
export interface MetricView {
  readonly total: string;
  readonly bucket: string;
  /** Multiplies the histogram's bounds to get milliseconds (1000 for a histogram in seconds). */
  readonly boundToMs: number;
  key(labels: Readonly<Record<string, string>>, scrape: Scrape): string | undefined;
  success(labels: Readonly<Record<string, string>>): boolean;
}

export interface GoldenMetrics {
  /** Requests answered in the window. */
  requests: number;
  rps: number;
  /** In [0, 1]; undefined without requests. */
  successRate: number | undefined;
  p50Ms: number | undefined;
  p95Ms: number | undefined;
  p99Ms: number | undefined;
}

function emptyCounts(): Counts {
  return { success: 0, failure: 0, buckets: new Map() };
}

/** Sums one scrape's samples per key of the view. */
export function countScrape(scrape: Scrape, view: MetricView): Map<string, Counts> {
  const out = new Map<string, Counts>();
  for (const s of scrape.samples) {
    if (s.name !== view.total && s.name !== view.bucket) continue;
    const key = view.key(s.labels, scrape);
    if (key === undefined) continue;
    let c = out.get(key);
    if (c === undefined) {
      c = emptyCounts();
      out.set(key, c);
    }
    if (s.name === view.total) {
      if (view.success(s.labels)) c.success += s.value;
      else c.failure += s.value;
    } else {
      const le = s.labels['le'] === '+Inf' ? Infinity : Number(s.labels['le']) * view.boundToMs;
      if (!Number.isNaN(le)) c.buckets.set(le, (c.buckets.get(le) ?? 0) + s.value);
    }
  }
  return out;
}

/** What happened between two readings of one source; a counter that went down (a restart) counts from zero. */
export function diffCounts(before: Counts | undefined, after: Counts): Counts {
  const delta = (a: number, b: number | undefined) => (b === undefined || a < b ? a : a - b);
  const buckets = new Map<number, number>();
  for (const [le, n] of after.buckets) buckets.set(le, delta(n, before?.buckets.get(le)));
  return { success: delta(after.success, before?.success), failure: delta(after.failure, before?.failure), buckets };
}

function addInto(sum: Counts, c: Counts): void {
  sum.success += c.success;
  sum.failure += c.failure;
  for (const [le, n] of c.buckets) sum.buckets.set(le, (sum.buckets.get(le) ?? 0) + n);
}

/** Per key, what every source counted between its two scrapes, summed over sources. */
export function windowCounts(before: readonly Scrape[], after: readonly Scrape[], view: MetricView): Map<string, Counts> {
  const earlier = new Map(before.map((s) => [s.source, countScrape(s, view)]));
  const out = new Map<string, Counts>();
  for (const scrape of after) {
    const previous = earlier.get(scrape.source);
    for (const [key, counts] of countScrape(scrape, view)) {
      let sum = out.get(key);
      if (sum === undefined) {
        sum = emptyCounts();
        out.set(key, sum);
      }
      addInto(sum, diffCounts(previous?.get(key), counts));
    }
  }
  return out;
}

/** Success rate, rate and latency percentiles of what was counted over `seconds`. */
export function goldenMetrics(c: Counts, seconds: number): GoldenMetrics {
  const requests = c.success + c.failure;
  const quantile = (q: number) => (requests > 0 ? histogramQuantile(q, c.buckets) : undefined);
  return {
    requests,
    rps: seconds > 0 ? requests / seconds : 0,
    successRate: requests > 0 ? c.success / requests : undefined,
    p50Ms: quantile(0.5),
    p95Ms: quantile(0.95),
    p99Ms: quantile(0.99),
  };
}
