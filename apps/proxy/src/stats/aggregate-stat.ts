import type { Stat } from '@trellis/proto';

/**
 * One pod's Stat from its workers' (TRELLIS_PROXY_WORKERS): concurrency averages and request rates add up,
 * since each worker saw its own share of the pod's requests; uptime and time are the supervisor's.
 */
export function sumStats(stats: readonly Stat[], pod: { podName: string; uptimeSeconds: number; unixSeconds: number }): Stat {
  let concurrency = 0;
  let proxiedConcurrency = 0;
  let requests = 0;
  let proxiedRequests = 0;
  for (const s of stats) {
    concurrency += s.averageConcurrentRequests;
    proxiedConcurrency += s.averageProxiedConcurrentRequests;
    requests += s.requestCount;
    proxiedRequests += s.proxiedRequestCount;
  }
  return {
    podName: pod.podName,
    averageConcurrentRequests: concurrency,
    averageProxiedConcurrentRequests: proxiedConcurrency,
    requestCount: requests,
    proxiedRequestCount: proxiedRequests,
    processUptime: pod.uptimeSeconds,
    timestamp: String(Math.floor(pod.unixSeconds)),
  };
}
