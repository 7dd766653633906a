import { describe, expect, it } from 'vitest';
import { goldenMetrics, windowCounts, type Scrape } from './golden';
import { histogramQuantile } from './histogram-quantile';
import { parsePrometheusText } from './prometheus-text';
import { ATTEMPTS_BY_SERVICE, INBOUND_BY_DEPLOYMENT, REQUESTS_BY_EDGE, REQUESTS_BY_ROUTE, REQUESTS_BY_SERVICE, workloadOfSamples } from './views';

function outbound(ok: number, failed: number, attempts: number, fast: number): string {
  const dst = 'dst="hello.demo.svc.cluster.local:80",direction="outbound"';
  const ep = 'direction="outbound",authority="hello.demo.svc.cluster.local:80",dst_namespace="demo",dst_service="hello-v1"';
  return [
    '# TYPE route_response_total counter',
    `route_response_total{${dst},rt_route="GET /hello",status_code="200",classification="success"} ${ok}`,
    `route_response_total{${dst},rt_route="GET /hello",status_code="500",classification="failure"} ${failed}`,
    `route_response_latency_ms_bucket{${dst},rt_route="GET /hello",status_code="200",classification="success",le="10"} ${fast}`,
    `route_response_latency_ms_bucket{${dst},rt_route="GET /hello",status_code="200",classification="success",le="100"} ${ok}`,
    `route_response_latency_ms_bucket{${dst},rt_route="GET /hello",status_code="200",classification="success",le="+Inf"} ${ok}`,
    `route_response_latency_ms_bucket{${dst},rt_route="GET /hello",status_code="500",classification="failure",le="10"} ${failed}`,
    `route_response_latency_ms_bucket{${dst},rt_route="GET /hello",status_code="500",classification="failure",le="100"} ${failed}`,
    `route_response_latency_ms_bucket{${dst},rt_route="GET /hello",status_code="500",classification="failure",le="+Inf"} ${failed}`,
    `response_total{${ep},status_code="200",classification="success",grpc_status=""} ${attempts}`,
  ].join('\n');
}

const scrape = (source: string, text: string, workload?: string): Scrape => ({ source, samples: parsePrometheusText(text), ...(workload ? { workload } : {}) });

describe('histogramQuantile', () => {
  it.each([
    [0.5, new Map([[10, 50], [100, 100], [Infinity, 100]]), 10],
    [0.75, new Map([[10, 50], [100, 100], [Infinity, 100]]), 55],
    [0.99, new Map([[10, 0], [Infinity, 10]]), 10],
    [0.5, new Map([[10, 0], [Infinity, 0]]), undefined],
  ])('q=%s of %o is %s (linear inside the bucket, +Inf as the top finite bound)', (q, buckets, expected) => {
    expect(histogramQuantile(q, buckets)).toBe(expected);
  });
});

describe('windowCounts and goldenMetrics', () => {
  it('counts per request as the client saw it, and attempts separately', () => {
    const before = [scrape('a', outbound(100, 0, 100, 50))];
    const after = [scrape('a', outbound(190, 10, 230, 140))];
    const requests = goldenMetrics(windowCounts(before, after, REQUESTS_BY_SERVICE).get('demo/hello')!, 10);
    expect(requests).toMatchObject({ requests: 100, rps: 10, successRate: 0.9 });
    expect(requests.p50Ms).toBeCloseTo(5, 5);
    expect(requests.p99Ms).toBeCloseTo(9.9, 5);
    const attempts = windowCounts(before, after, ATTEMPTS_BY_SERVICE).get('demo/hello-v1')!;
    expect(attempts.success + attempts.failure).toBe(130);
  });

  it('sums sources, and counts a source that restarted from zero', () => {
    const before = [scrape('a', outbound(100, 0, 0, 100)), scrape('b', outbound(500, 0, 0, 500))];
    const after = [scrape('a', outbound(130, 0, 0, 130)), scrape('b', outbound(20, 0, 0, 20))];
    const c = windowCounts(before, after, REQUESTS_BY_ROUTE).get('demo/hello GET /hello')!;
    expect(c.success).toBe(50);
  });

  it('keys edges by the scraped workload, and a proxy with no workload as the client', () => {
    const after = [scrape('a', outbound(5, 0, 0, 5), 'demo/web'), scrape('b', outbound(7, 0, 0, 7))];
    const edges = windowCounts([], after, REQUESTS_BY_EDGE);
    expect([...edges.keys()].sort()).toEqual(['client -> demo/hello', 'demo/web -> demo/hello']);
  });

  it('reads the inbound side per Deployment from Knative revision metrics in seconds, 5xx as failures', () => {
    const labels = 'namespace_name="demo",configuration_name="hello-v1",revision_name="hello-v1",pod_name="hello-v1-0"';
    const text = [
      `revision_request_total{${labels},response_code="200",response_code_class="2xx"} 8`,
      `revision_request_total{${labels},response_code="503",response_code_class="5xx"} 2`,
      `revision_request_duration_seconds_bucket{${labels},response_code="200",response_code_class="2xx",le="0.005"} 8`,
      `revision_request_duration_seconds_bucket{${labels},response_code="200",response_code_class="2xx",le="+Inf"} 8`,
      `revision_request_duration_seconds_bucket{${labels},response_code="503",response_code_class="5xx",le="0.005"} 2`,
      `revision_request_duration_seconds_bucket{${labels},response_code="503",response_code_class="5xx",le="+Inf"} 2`,
    ].join('\n');
    const s = scrape('r', text);
    const g = goldenMetrics(windowCounts([], [s], INBOUND_BY_DEPLOYMENT).get('demo/hello-v1')!, 2);
    expect(g).toMatchObject({ requests: 10, rps: 5, successRate: 0.8 });
    expect(g.p99Ms).toBeLessThanOrEqual(5);
    expect(workloadOfSamples(s.samples)).toBe('demo/hello-v1');
  });
});
