import type { Sample } from './prometheus-text';

// Linkerd's outbound metric names, as the proxy exports them on :9091.
export const TRAFFIC_METRICS: ReadonlySet<string> = new Set(['response_total', 'response_latency_ms_bucket']);

/** Cumulative counts per service (namespace/name) at one scrape. */
export interface TrafficCounters {
  success: number;
  failure: number;
  /** Histogram buckets: upper bound in ms → cumulative count. */
  buckets: Map<number, number>;
}

export interface TrafficRates {
  rps: number;
  /** In [0, 1]; undefined without responses. */
  successRate: number | undefined;
  /** Upper bound of the bucket holding the 99th percentile; undefined without responses. */
  p99Ms: number | undefined;
}

/** The service a sample is about: its dst_service/dst_namespace labels, else the authority's first two labels. */
function serviceOf(labels: Record<string, string>): string | undefined {
  if (labels['dst_service']) return `${labels['dst_namespace'] ?? ''}/${labels['dst_service']}`;
  const host = labels['authority']?.split(':')[0]?.split('.');
  return host && host.length >= 2 ? `${host[1]}/${host[0]}` : undefined;
}

/** Sums outbound responses and latency buckets per service. */
export function countTraffic(samples: readonly Sample[]): Map<string, TrafficCounters> {
  const out = new Map<string, TrafficCounters>();
  for (const s of samples) {
    if (s.labels['direction'] !== undefined && s.labels['direction'] !== 'outbound') continue;
    const service = serviceOf(s.labels);
    if (service === undefined) continue;
    let c = out.get(service);
    if (!c) {
      c = { success: 0, failure: 0, buckets: new Map() };
      out.set(service, c);
    }
    if (s.name === 'response_total') {
      if (s.labels['classification'] === 'success') c.success += s.value;
      else c.failure += s.value;
    } else if (s.name === 'response_latency_ms_bucket') {
      const le = s.labels['le'] === '+Inf' ? Infinity : Number(s.labels['le']);
      if (!Number.isNaN(le)) c.buckets.set(le, (c.buckets.get(le) ?? 0) + s.value);
    }
  }
  return out;
}

/** Rates between two scrapes `seconds` apart (a counter that went down, as after a restart, counts from 0). */
export function trafficRates(before: TrafficCounters | undefined, after: TrafficCounters, seconds: number): TrafficRates {
  const delta = (a: number, b: number | undefined) => (b === undefined || a < b ? a : a - b);
  const success = delta(after.success, before?.success);
  const failure = delta(after.failure, before?.failure);
  const total = success + failure;
  let p99Ms: number | undefined;
  if (total > 0) {
    const bounds = [...after.buckets.keys()].sort((a, b) => a - b);
    const count = (le: number) => delta(after.buckets.get(le) ?? 0, before?.buckets.get(le));
    const all = bounds.length > 0 ? count(bounds[bounds.length - 1] ?? Infinity) : 0;
    p99Ms = bounds.find((le) => count(le) >= 0.99 * all);
  }
  return { rps: seconds > 0 ? total / seconds : 0, successRate: total > 0 ? success / total : undefined, p99Ms };
}
