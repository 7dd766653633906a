import { describe, expect, it } from 'vitest';
import { parsePrometheusText } from './prometheus-text';
import { TRAFFIC_METRICS, countTraffic, trafficRates } from './service-traffic';

const scrape = (v1Success: number, v1Failure: number, fast: number, slow: number) => `# HELP response_total Responses
# TYPE response_total counter
response_total{direction="outbound",authority="hello.demo.svc.cluster.local:80",dst_namespace="demo",dst_service="hello-v1",status_code="200",classification="success",grpc_status=""} ${v1Success}
response_total{direction="outbound",authority="hello.demo.svc.cluster.local:80",dst_namespace="demo",dst_service="hello-v1",status_code="500",classification="failure",grpc_status=""} ${v1Failure}
response_total{direction="outbound",authority="greeter.demo.svc.cluster.local:80",dst_namespace="",dst_service="",status_code="200",classification="success",grpc_status="0"} 7
response_latency_ms_bucket{le="10",direction="outbound",dst_namespace="demo",dst_service="hello-v1"} ${fast}
response_latency_ms_bucket{le="100",direction="outbound",dst_namespace="demo",dst_service="hello-v1"} ${fast + slow}
response_latency_ms_bucket{le="+Inf",direction="outbound",dst_namespace="demo",dst_service="hello-v1"} ${fast + slow}
process_cpu_seconds_total 12.5
malformed line {
`;

describe('outbound traffic per service', () => {
  it('parses Prometheus text with escaped labels and skips what it cannot read', () => {
    const samples = parsePrometheusText('a{x="q\\"uote",y="n\\\\l"} 1\n# c\nb 2 1700000000\nc NaNx\n');
    expect(samples).toEqual([
      { name: 'a', labels: { x: 'q"uote', y: 'n\\l' }, value: 1 },
      { name: 'b', labels: {}, value: 2 },
    ]);
  });

  it('groups responses by service, falling back to the authority', () => {
    const counters = countTraffic(parsePrometheusText(scrape(90, 10, 95, 5), TRAFFIC_METRICS));
    expect([...counters.keys()].sort()).toEqual(['demo/greeter', 'demo/hello-v1']);
    expect(counters.get('demo/hello-v1')).toMatchObject({ success: 90, failure: 10 });
  });

  it('computes rps, success rate and p99 between two scrapes', () => {
    const before = countTraffic(parsePrometheusText(scrape(90, 10, 95, 5), TRAFFIC_METRICS)).get('demo/hello-v1');
    const after = countTraffic(parsePrometheusText(scrape(290, 10, 295, 5), TRAFFIC_METRICS)).get('demo/hello-v1');
    expect(after).toBeDefined();
    if (!after) return;
    expect(trafficRates(before, after, 2)).toEqual({ rps: 100, successRate: 1, p99Ms: 10 });
    expect(trafficRates(undefined, after, 2)).toEqual({ rps: 150, successRate: 290 / 300, p99Ms: 100 });
    const idle = trafficRates(after, after, 2);
    expect(idle).toEqual({ rps: 0, successRate: undefined, p99Ms: undefined });
  });
});
