import { describe, expect, it } from 'vitest';
import { OutboundPolicy, TrafficSpec } from './index';

// Conformance vectors for the OutboundPolicies API. The bytes are built here by hand from the field
// numbers of linkerd2-proxy-api's outbound.proto, http_route.proto, grpc_route.proto and meta.proto (a
// writer of a few lines, independent of the generated code), then decoded with the generated codec
// and compared with the expected message, and the expected message is encoded and compared with the
// bytes. Fields are written in field-number order, which is also the order ts-proto writes them.

const VARINT = 0;
const LEN = 2;
const FIXED32 = 5;

function varint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

const tag = (field: number, wire: number) => varint(field * 8 + wire);
const uint = (field: number, value: number) => [...tag(field, VARINT), ...varint(value)];
const bool = (field: number) => uint(field, 1);
const bytes = (field: number, payload: number[]) => [...tag(field, LEN), ...varint(payload.length), ...payload];
const str = (field: number, text: string) => bytes(field, [...Buffer.from(text, 'utf8')]);
const msg = (field: number, ...parts: number[][]) => bytes(field, parts.flat());
const float = (field: number, value: number) => {
  const b = Buffer.alloc(4);
  b.writeFloatLE(value);
  return [...tag(field, FIXED32), ...b];
};
// google.protobuf.Duration: seconds = 1, nanos = 2.
const duration = (field: number, seconds: number, nanos = 0) =>
  msg(field, ...(seconds ? [uint(1, seconds)] : []), ...(nanos ? [uint(2, nanos)] : []));
// io.linkerd.proxy.meta.Metadata.resource = 2: group 1, kind 2, name 3, namespace 4, section 5, port 6.
const resource = (field: number, group: string, kind: string, name: string, namespace: string, port = 0) =>
  msg(field, msg(2, str(1, group), str(2, kind), str(3, name), str(4, namespace), ...(port ? [uint(6, port)] : [])));

// Backend: metadata 1, balancer 3 { discovery 1 { dst 1 { path 1 } }, peak_ewma 2 { default_rtt 1, decay 2 } }, queue 4.
const balancedBackend = (name: string, port: number) =>
  msg(
    1,
    resource(1, 'core', 'Service', name, 'shop', port),
    msg(3, msg(1, msg(1, str(1, `${name}.shop.svc.cluster.local:${port}`))), msg(2, duration(1, 0, 30_000_000), duration(2, 10))),
    msg(4, uint(1, 100), duration(2, 3)),
  );

const expectedBackend = (name: string, port: number) => ({
  metadata: { kind: { $case: 'resource' as const, value: { group: 'core', kind: 'Service', name, namespace: 'shop', port } } },
  kind: {
    $case: 'balancer' as const,
    value: {
      discovery: { kind: { $case: 'dst' as const, value: { path: `${name}.shop.svc.cluster.local:${port}` } } },
      load: { $case: 'peakEwma' as const, value: { defaultRtt: { seconds: '0', nanos: 30_000_000 }, decay: { seconds: '10', nanos: 0 } } },
    },
  },
  queue: { capacity: 100, failfastTimeout: { seconds: '3', nanos: 0 } },
});

// HttpRoute.Rule: matches 1, filters 2, backends 3, requestTimeout 4, timeouts 5, retry 6.
const httpRuleBytes = [
  // HttpRouteMatch: path 1 { prefix 2 }, headers 2 { name 1, exact 2 }, query_params 3 { name 1, regex 3 }, method 4 { registered 1 }.
  msg(1, msg(1, str(2, '/api')), msg(2, str(1, 'x-canary'), str(2, 'yes')), msg(3, str(1, 'v'), str(3, '^[0-9]+$')), msg(4, uint(1, 1))),
  // Filter.request_header_modifier 2 { set 2 { headers 1 { name 1, value 2 } }, remove 3 }.
  msg(2, msg(2, msg(2, msg(1, str(1, 'x-route'), str(2, 'canary'))), str(3, 'x-debug'))),
  // Distribution.random_available 3 { backends 1 { backend 1 { backend 1 }, weight 2 } }.
  msg(3, msg(3, msg(1, msg(1, balancedBackend('cart-v1', 8080)), uint(2, 80)), msg(1, msg(1, balancedBackend('cart-v2', 8080)), uint(2, 20)))),
  duration(4, 2),
  // http_route.Timeouts: response 1, idle 2, stream 3.
  msg(5, duration(1, 1), duration(3, 2)),
  // Retry: max_retries 1, max_request_bytes 2, conditions 3 { status_ranges 1 { start 1, end 2 } }, backoff 5.
  msg(6, uint(1, 2), uint(2, 65536), msg(3, msg(1, uint(1, 503), uint(2, 503))), msg(5, duration(1, 0, 25_000_000), duration(2, 0, 250_000_000), float(3, 1))),
];

// OutboundPolicy: protocol 1 { http1 3 { routes 1, failure_accrual 2 } }, metadata 2.
const httpPolicyBytes = [
  msg(
    1,
    msg(
      3,
      msg(1, resource(1, 'gateway.networking.k8s.io', 'HTTPRoute', 'cart-canary', 'shop'), msg(3, ...httpRuleBytes)),
      // FailureAccrual.consecutive_failures 1 { max_failures 1, backoff 2 { min 1, max 2, jitter 3 } }.
      msg(2, msg(1, uint(1, 7), msg(2, duration(1, 1), duration(2, 60), float(3, 0.5)))),
    ),
  ),
  resource(2, 'core', 'Service', 'cart', 'shop', 8080),
].flat();

const expectedHttpPolicy = OutboundPolicy.fromPartial({
  protocol: {
    kind: {
      $case: 'http1',
      value: {
        routes: [
          {
            metadata: { kind: { $case: 'resource', value: { group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', name: 'cart-canary', namespace: 'shop' } } },
            rules: [
              {
                matches: [
                  {
                    path: { kind: { $case: 'prefix', value: '/api' } },
                    headers: [{ name: 'x-canary', value: { $case: 'exact', value: 'yes' } }],
                    queryParams: [{ name: 'v', value: { $case: 'regex', value: '^[0-9]+$' } }],
                    method: { type: { $case: 'registered', value: 1 } },
                  },
                ],
                filters: [
                  {
                    kind: {
                      $case: 'requestHeaderModifier',
                      value: { set: { headers: [{ name: 'x-route', value: Buffer.from('canary') }] }, remove: ['x-debug'] },
                    },
                  },
                ],
                backends: {
                  kind: {
                    $case: 'randomAvailable',
                    value: {
                      backends: [
                        { backend: { backend: expectedBackend('cart-v1', 8080) }, weight: 80 },
                        { backend: { backend: expectedBackend('cart-v2', 8080) }, weight: 20 },
                      ],
                    },
                  },
                },
                requestTimeout: { seconds: '2', nanos: 0 },
                timeouts: { response: { seconds: '1', nanos: 0 }, stream: { seconds: '2', nanos: 0 } },
                retry: {
                  maxRetries: 2,
                  maxRequestBytes: 65536,
                  conditions: { statusRanges: [{ start: 503, end: 503 }] },
                  backoff: { minBackoff: { seconds: '0', nanos: 25_000_000 }, maxBackoff: { seconds: '0', nanos: 250_000_000 }, jitterRatio: 1 },
                },
              },
            ],
          },
        ],
        failureAccrual: {
          kind: {
            $case: 'consecutiveFailures',
            value: { maxFailures: 7, backoff: { minBackoff: { seconds: '1', nanos: 0 }, maxBackoff: { seconds: '60', nanos: 0 }, jitterRatio: 0.5 } },
          },
        },
      },
    },
  },
  metadata: { kind: { $case: 'resource', value: { group: 'core', kind: 'Service', name: 'cart', namespace: 'shop', port: 8080 } } },
});

// OutboundPolicy.protocol 1 { grpc 5 { routes 1 { rules 3 { matches 1 { rpc 1 { service 1, method 2 } }, backends 3 { first_available 2 }, retry 6 } } } }.
const grpcPolicyBytes = [
  msg(
    1,
    msg(
      5,
      msg(
        1,
        resource(1, 'gateway.networking.k8s.io', 'GRPCRoute', 'users-get', 'shop'),
        msg(
          3,
          msg(1, msg(1, str(1, 'shop.Users'), str(2, 'Get'))),
          msg(3, msg(2, msg(1, balancedBackend('users', 9090)))),
          // GrpcRoute.Retry: max_retries 1, conditions 3 { deadine_exceeded 4, unavailable 14 }.
          msg(6, uint(1, 1), uint(2, 65536), msg(3, bool(4), bool(14))),
        ),
      ),
    ),
  ),
].flat();

const expectedGrpcPolicy = OutboundPolicy.fromPartial({
  protocol: {
    kind: {
      $case: 'grpc',
      value: {
        routes: [
          {
            metadata: { kind: { $case: 'resource', value: { group: 'gateway.networking.k8s.io', kind: 'GRPCRoute', name: 'users-get', namespace: 'shop' } } },
            rules: [
              {
                matches: [{ rpc: { service: 'shop.Users', method: 'Get' } }],
                backends: { kind: { $case: 'firstAvailable', value: { backends: [{ backend: expectedBackend('users', 9090) }] } } },
                retry: { maxRetries: 1, maxRequestBytes: 65536, conditions: { deadineExceeded: true, unavailable: true } },
              },
            ],
          },
        ],
      },
    },
  },
});

// ProxyProtocol.detect 1 { timeout 1, http1 3 { routes 1 }, http2 4 { routes 1 } }: the default route
// (metadata.default 1) matching every path prefix "/" with the Service itself as the one backend.
const defaultRoute = msg(1, msg(1, str(1, 'http')), msg(3, msg(1, msg(1, str(2, '/'))), msg(3, msg(2, msg(1, balancedBackend('web', 80))))));
const detectPolicyBytes = [msg(1, msg(1, duration(1, 10), msg(3, defaultRoute), msg(4, defaultRoute)))].flat();

const expectedDefaultRoute = {
  metadata: { kind: { $case: 'default' as const, value: 'http' } },
  rules: [
    {
      matches: [{ path: { kind: { $case: 'prefix' as const, value: '/' } } }],
      backends: { kind: { $case: 'firstAvailable' as const, value: { backends: [{ backend: expectedBackend('web', 80) }] } } },
    },
  ],
};

const expectedDetectPolicy = OutboundPolicy.fromPartial({
  protocol: {
    kind: {
      $case: 'detect',
      value: { timeout: { seconds: '10', nanos: 0 }, http1: { routes: [expectedDefaultRoute] }, http2: { routes: [expectedDefaultRoute] } },
    },
  },
});

const cases = [
  { name: 'HTTP/1 route: path prefix, header, query and method match; header filter; 80/20 P2C split; timeouts; retry on 503', bytes: httpPolicyBytes, expected: expectedHttpPolicy },
  { name: 'gRPC route: service/method match, first-available backend, retry on deadline-exceeded and unavailable', bytes: grpcPolicyBytes, expected: expectedGrpcPolicy },
  { name: 'detect with the default route for HTTP/1 and HTTP/2', bytes: detectPolicyBytes, expected: expectedDetectPolicy },
];

describe('OutboundPolicy wire vectors', () => {
  for (const { name, bytes: wire, expected } of cases) {
    it(`${name}: decodes to the expected message`, () => {
      expect(OutboundPolicy.decode(Uint8Array.from(wire))).toEqual(expected);
    });

    it(`${name}: encodes to the same bytes`, () => {
      expect([...OutboundPolicy.encode(expected).finish()]).toEqual(wire);
    });
  }
});

describe('TrafficSpec wire vector', () => {
  // source_workload 1, authority 3.
  const wire = [...str(1, '{"ns":"web","pod":"web-0"}'), ...str(3, 'cart.shop.svc.cluster.local:8080')];
  const expected = TrafficSpec.fromPartial({ sourceWorkload: '{"ns":"web","pod":"web-0"}', target: { $case: 'authority', value: 'cart.shop.svc.cluster.local:8080' } });

  it('decodes and encodes both ways', () => {
    expect(TrafficSpec.decode(Uint8Array.from(wire))).toEqual(expected);
    expect([...TrafficSpec.encode(expected).finish()]).toEqual(wire);
  });
});
