import type { Sample } from '@trellis/viz';

// Linkerd's outbound metric names, as the proxy exports them on :9091: route_response_* count each request once
// as the client saw it (retries inside), response_total counts every attempt sent to an endpoint.
export const TRAFFIC_METRICS: ReadonlySet<string> = new Set(['route_response_total', 'route_response_latency_ms_bucket', 'response_total']);

/** Cumulative counts per service (namespace/name) at one scrape. */
export interface TrafficCounters {
  /** Requests, by their final outcome. */
  success: number;
  failure: number;
  /** Request latency histogram (retries included): upper bound in ms → cumulative count. */
  buckets: Map<number, number>;
  /** Attempts sent to the service's endpoints, by outcome. */
  attemptSuccess: number;
  attemptFailure: number;
}

export interface TrafficRates {
  /** Requests per second, as clients saw them. */
  rps: number;
  /** In [0, 1], per request; undefined without requests. */
  successRate: number | undefined;
  /** Upper bound of the bucket holding the 99th percentile; undefined without requests. */
  p99Ms: number | undefined;
  attemptsPerSecond: number;
  /** In [0, 1], per attempt; undefined without attempts. */
  attemptSuccessRate: number | undefined;
}

/** `namespace/name` of a `name.namespace.svc...:port` authority. */
function serviceOfAuthority(authority: string | undefined): string | undefined {
  const host = authority?.split(':')[0]?.split('.');
  return host && host.length >= 2 ? `${host[1]}/${host[0]}` : undefined;
}

/** The service an endpoint sample is about: its dst_service/dst_namespace labels, else its authority. */
function serviceOf(labels: Record<string, string>): string | undefined {
  if (labels['dst_service']) return `${labels['dst_namespace'] ?? ''}/${labels['dst_service']}`;
  return serviceOfAuthority(labels['authority']);
}

/** Sums outbound requests, their latency buckets and attempts per service. */
export function countTraffic(samples: readonly Sample[]): Map<string, TrafficCounters> {
  const out = new Map<string, TrafficCounters>();
  for (const s of samples) {
    if (s.labels['direction'] !== undefined && s.labels['direction'] !== 'outbound') continue;
    const service = s.name === 'response_total' ? serviceOf(s.labels) : serviceOfAuthority(s.labels['dst']);
    if (service === undefined) continue;
    let c = out.get(service);
    if (!c) {
      c = { success: 0, failure: 0, buckets: new Map(), attemptSuccess: 0, attemptFailure: 0 };
      out.set(service, c);
    }
    const ok = s.labels['classification'] === 'success';
    if (s.name === 'route_response_total') {
      if (ok) c.success += s.value;
      else c.failure += s.value;
    } else if (s.name === 'response_total') {
      if (ok) c.attemptSuccess += s.value;
      else c.attemptFailure += s.value;
    } else if (s.name === 'route_response_latency_ms_bucket') {
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
  const attemptSuccess = delta(after.attemptSuccess, before?.attemptSuccess);
  const attempts = attemptSuccess + delta(after.attemptFailure, before?.attemptFailure);
  return {
    rps: seconds > 0 ? total / seconds : 0,
    successRate: total > 0 ? success / total : undefined,
    p99Ms,
    attemptsPerSecond: seconds > 0 ? attempts / seconds : 0,
    attemptSuccessRate: attempts > 0 ? attemptSuccess / attempts : undefined,
  };
}
