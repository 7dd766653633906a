/** The figures of Knative's metrics.Stat that the autoscaler uses (structurally compatible with @trellis/proto's Stat). */
export interface PodStat {
  averageConcurrentRequests: number;
  averageProxiedConcurrentRequests: number;
  requestCount: number;
  proxiedRequestCount: number;
  processUptime: number;
}

/**
 * Sums the sampled pods' stats and scales the sum to the whole population (× readyPods / samples), as Knative's
 * Stat.average(sample, total). Undefined when there are no samples.
 */
export function scaleSamples(samples: readonly PodStat[], readyPods: number): PodStat | undefined {
  if (samples.length === 0) return undefined;
  const sum: PodStat = { averageConcurrentRequests: 0, averageProxiedConcurrentRequests: 0, requestCount: 0, proxiedRequestCount: 0, processUptime: 0 };
  for (const s of samples) {
    sum.averageConcurrentRequests += s.averageConcurrentRequests;
    sum.averageProxiedConcurrentRequests += s.averageProxiedConcurrentRequests;
    sum.requestCount += s.requestCount;
    sum.proxiedRequestCount += s.proxiedRequestCount;
    sum.processUptime += s.processUptime;
  }
  const factor = readyPods / samples.length;
  return {
    averageConcurrentRequests: sum.averageConcurrentRequests * factor,
    averageProxiedConcurrentRequests: sum.averageProxiedConcurrentRequests * factor,
    requestCount: sum.requestCount * factor,
    proxiedRequestCount: sum.proxiedRequestCount * factor,
    processUptime: sum.processUptime / samples.length,
  };
}
