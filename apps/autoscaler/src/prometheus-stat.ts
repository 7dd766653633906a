import type { PodStat } from '@trellis/kpa';

/** The queue-proxy gauges (Knative pkg/queue/prometheus_stats_reporter.go) that carry a pod's Stat as text. */
const GAUGES: Record<string, keyof PodStat> = {
  queue_average_concurrent_requests: 'averageConcurrentRequests',
  queue_average_proxied_concurrent_requests: 'averageProxiedConcurrentRequests',
  queue_requests_per_second: 'requestCount',
  queue_proxied_operations_per_second: 'proxiedRequestCount',
  process_uptime: 'processUptime',
};

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/;

/**
 * Reads a pod's Stat from Prometheus text exposition. Returns undefined when the concurrency gauge is missing
 * (not a stats endpoint); other missing gauges count as 0.
 */
export function parsePrometheusStat(text: string): PodStat | undefined {
  const stat: PodStat = { averageConcurrentRequests: 0, averageProxiedConcurrentRequests: 0, requestCount: 0, proxiedRequestCount: 0, processUptime: 0 };
  let seen = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = SAMPLE.exec(line.trim());
    if (m === null) continue;
    const field = GAUGES[m[1] as string];
    const value = Number(m[3]);
    if (field === undefined || !Number.isFinite(value)) continue;
    stat[field] = value;
    if (field === 'averageConcurrentRequests') seen = true;
  }
  return seen ? stat : undefined;
}
