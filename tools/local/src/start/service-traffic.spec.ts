import { describe, expect, it } from 'vitest';
import { parsePrometheusText } from '@trellis/viz';
import { TRAFFIC_METRICS, countTraffic, trafficRates } from './service-traffic';

// The client asked hello (a split) and saw `ok` successes and `failed` failures; the proxy sent `attemptsOk` and
// `attemptsFailed` attempts to hello-v1, retries included.
const scrape = (ok: number, failed: number, fast: number, slow: number, attemptsOk: number, attemptsFailed: number) => `# HELP route_response_total Responses per route
# TYPE route_response_total counter
route_response_total{direction="outbound",dst="hello.demo.svc.cluster.local:80",rt_route="GET /fail",status_code="200",classification="success"} ${ok}
route_response_total{direction="outbound",dst="hello.demo.svc.cluster.local:80",rt_route="GET /fail",status_code="500",classification="failure"} ${failed}
route_response_latency_ms_bucket{le="10",direction="outbound",dst="hello.demo.svc.cluster.local:80",rt_route="GET /fail"} ${fast}
route_response_latency_ms_bucket{le="100",direction="outbound",dst="hello.demo.svc.cluster.local:80",rt_route="GET /fail"} ${fast + slow}
route_response_latency_ms_bucket{le="+Inf",direction="outbound",dst="hello.demo.svc.cluster.local:80",rt_route="GET /fail"} ${fast + slow}
response_total{direction="outbound",authority="hello-v1.demo.svc.cluster.local:80",dst_namespace="demo",dst_service="hello-v1",status_code="200",classification="success",grpc_status=""} ${attemptsOk}
response_total{direction="outbound",authority="hello-v1.demo.svc.cluster.local:80",dst_namespace="demo",dst_service="hello-v1",status_code="500",classification="failure",grpc_status=""} ${attemptsFailed}
response_total{direction="outbound",authority="greeter.demo.svc.cluster.local:80",dst_namespace="",dst_service="",status_code="200",classification="success",grpc_status="0"} 7
process_cpu_seconds_total 12.5
malformed line {
`;

const counters = (...args: Parameters<typeof scrape>) => countTraffic(parsePrometheusText(scrape(...args), TRAFFIC_METRICS));

describe('outbound traffic per service', () => {
  it('parses Prometheus text with escaped labels and skips what it cannot read', () => {
    const samples = parsePrometheusText('a{x="q\\"uote",y="n\\\\l"} 1\n# c\nb 2 1700000000\nc NaNx\n');
    expect(samples).toEqual([
      { name: 'a', labels: { x: 'q"uote', y: 'n\\l' }, value: 1 },
      { name: 'b', labels: {}, value: 2 },
    ]);
  });

  it('counts requests on the service the client named and attempts on the service they were sent to', () => {
    const c = counters(100, 0, 95, 5, 100, 25);
    expect([...c.keys()].sort()).toEqual(['demo/greeter', 'demo/hello', 'demo/hello-v1']);
    expect(c.get('demo/hello')).toMatchObject({ success: 100, failure: 0, attemptSuccess: 0 });
    expect(c.get('demo/hello-v1')).toMatchObject({ success: 0, attemptSuccess: 100, attemptFailure: 25 });
  });

  it('computes the success rate per request as the client saw it, with attempts apart (retried failures are not failed requests)', () => {
    const before = counters(90, 10, 95, 5, 90, 30);
    const after = counters(290, 10, 295, 5, 290, 80);
    expect(trafficRates(before.get('demo/hello'), after.get('demo/hello')!, 2)).toEqual({
      rps: 100,
      successRate: 1,
      p99Ms: 10,
      attemptsPerSecond: 0,
      attemptSuccessRate: undefined,
    });
    expect(trafficRates(before.get('demo/hello-v1'), after.get('demo/hello-v1')!, 2)).toMatchObject({ rps: 0, attemptsPerSecond: 125, attemptSuccessRate: 0.8 });
    expect(trafficRates(undefined, after.get('demo/hello')!, 2)).toMatchObject({ rps: 150, successRate: 290 / 300, p99Ms: 100 });
    expect(trafficRates(after.get('demo/hello'), after.get('demo/hello')!, 2)).toMatchObject({ rps: 0, successRate: undefined, p99Ms: undefined });
  });
});
