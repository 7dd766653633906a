import { describe, expect, it } from 'vitest';
import { sumStats } from './aggregate-stat';

const stat = (concurrency: number, requests: number) => ({
  podName: 'worker',
  averageConcurrentRequests: concurrency,
  averageProxiedConcurrentRequests: concurrency / 2,
  requestCount: requests,
  proxiedRequestCount: requests / 2,
  processUptime: 1,
  timestamp: '1',
});

describe('sumStats', () => {
  it("adds the workers' concurrency and rates into the pod's one Stat, with the supervisor's name, uptime and time", () => {
    expect(sumStats([stat(1.5, 10), stat(0.5, 30)], { podName: 'pod-a', uptimeSeconds: 42, unixSeconds: 1_795_000_000.7 })).toEqual({
      podName: 'pod-a',
      averageConcurrentRequests: 2,
      averageProxiedConcurrentRequests: 1,
      requestCount: 40,
      proxiedRequestCount: 20,
      processUptime: 42,
      timestamp: '1795000000',
    });
  });

  it('is an idle Stat when no worker has reported yet', () => {
    expect(sumStats([], { podName: 'p', uptimeSeconds: 0, unixSeconds: 0 })).toMatchObject({ averageConcurrentRequests: 0, requestCount: 0 });
  });
});
