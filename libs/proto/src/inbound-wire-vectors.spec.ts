import { describe, expect, it } from 'vitest';
import { inbound } from './index';

// Conformance vectors for the InboundServerPolicies API. The bytes are built here by hand from the field
// numbers of linkerd2-proxy-api's inbound.proto, net.proto, http_route.proto, grpc_route.proto and
// meta.proto (plus the Trellis extension Server.http_local_rate_limit = 1000), independent of the
// generated code, then decoded with the generated codec and compared with the expected message, and the
// expected message is encoded and compared with the bytes. Fields are written in field-number order,
// which is also the order ts-proto writes them.

const VARINT = 0;
const FIXED64 = 1;
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
const bytes = (field: number, payload: number[]) => [...tag(field, LEN), ...varint(payload.length), ...payload];
const str = (field: number, text: string) => bytes(field, [...Buffer.from(text, 'utf8')]);
const msg = (field: number, ...parts: number[][]) => bytes(field, parts.flat());
const fixed32 = (field: number, value: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(value);
  return [...tag(field, FIXED32), ...b];
};
const fixed64 = (field: number, value: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(value);
  return [...tag(field, FIXED64), ...b];
};
// google.protobuf.Duration: seconds = 1, nanos = 2.
const duration = (field: number, seconds: number) => msg(field, uint(1, seconds));
// meta.Metadata: default 1 | resource 2 { group 1, kind 2, name 3, namespace 4 }.
const resource = (field: number, group: string, kind: string, name: string, namespace: string) =>
  msg(field, msg(2, str(1, group), str(2, kind), str(3, name), str(4, namespace)));
const defaultMeta = (field: number, name: string) => msg(field, str(1, name));
// A map<string, string> entry: key 1, value 2.
const entry = (field: number, key: string, value: string) => msg(field, str(1, key), str(2, value));
// net.IPNetwork: ip 1 { ipv4 1 (fixed32, big-endian value) | ipv6 2 { first 1, last 2 } }, prefix_len 2. Zero
// scalars are left out (proto3), except the oneof member ipv4, which is written even when 0 (0.0.0.0).
const unlessZero = (value: number | bigint, part: number[]) => (value ? [part] : []);
const ipv4Net = (field: number, address: number, prefix: number) =>
  msg(field, msg(1, fixed32(1, address)), ...unlessZero(prefix, uint(2, prefix)));
const ipv6Net = (field: number, first: bigint, last: bigint, prefix: number) =>
  msg(field, msg(1, msg(2, ...unlessZero(first, fixed64(1, first)), ...unlessZero(last, fixed64(2, last)))), ...unlessZero(prefix, uint(2, prefix)));

const expectedResource = (group: string, kind: string, name: string, namespace: string) => ({
  kind: { $case: 'resource' as const, value: { group, kind, name, namespace } },
});
const v4 = (address: number, prefixLen: number) => ({ ip: { ip: { $case: 'ipv4' as const, value: address } }, prefixLen });
const v6 = (first: bigint, last: bigint, prefixLen: number) => ({
  ip: { ip: { $case: 'ipv6' as const, value: { first: first.toString(), last: last.toString() } } },
  prefixLen,
});

const WEB = 'web.shop.serviceaccount.identity.cluster.local';
const ADMIN = 'admin.ops.serviceaccount.identity.cluster.local';
const FD00 = 0xfd00_0000_0000_0000n;

// Authz: networks 1 { net 1, except 2 }, authentication 2 { meshTLS 2 { identities 2 { identities 1 { name 1 },
// suffixes 2 { parts 1 } } } }, labels 3, metadata 4.
const meshAuthzBytes = msg(
  3,
  msg(1, ipv4Net(1, 0x0a00_0000, 8), ipv4Net(2, 0x0a01_0000, 16)),
  msg(1, ipv6Net(1, FD00, 0n, 8)),
  msg(2, msg(2, msg(2, msg(1, str(1, WEB)), msg(2, str(1, 'ops'), str(1, 'serviceaccount'), str(1, 'identity'), str(1, 'cluster'), str(1, 'local'))))),
  entry(3, 'group', 'policy.linkerd.io'),
  entry(3, 'kind', 'authorizationpolicy'),
  entry(3, 'name', 'web-to-api'),
  resource(4, 'policy.linkerd.io', 'AuthorizationPolicy', 'web-to-api', 'shop'),
);

const expectedMeshAuthz = {
  networks: [{ net: v4(0x0a00_0000, 8), except: [v4(0x0a01_0000, 16)] }, { net: v6(FD00, 0n, 8), except: [] }],
  authentication: {
    permit: {
      $case: 'meshTLS' as const,
      value: {
        clients: {
          $case: 'identities' as const,
          value: { identities: [{ name: WEB }], suffixes: [{ parts: ['ops', 'serviceaccount', 'identity', 'cluster', 'local'] }] },
        },
      },
    },
  },
  labels: { group: 'policy.linkerd.io', kind: 'authorizationpolicy', name: 'web-to-api' },
  metadata: expectedResource('policy.linkerd.io', 'AuthorizationPolicy', 'web-to-api', 'shop'),
};

// Server: protocol 1 { http1 4 { routes 2 { metadata 1, authorizations 3, rules 4 { matches 1 { path 1 { prefix 2 } } } } } },
// authorizations 3, labels 4, http_local_rate_limit 1000 { metadata 1, total 2 { requests_per_second 1 }, identity 3,
// overrides 4 { limit 1, clients 2 { identities 1 { name 1 } } } }.
const http1ServerBytes = [
  msg(
    1,
    msg(
      4,
      msg(
        2,
        resource(1, 'policy.linkerd.io', 'HTTPRoute', 'api-read', 'shop'),
        msg(3, msg(1, ipv4Net(1, 0, 0)), msg(2, msg(2, msg(1)))),
        msg(4, msg(1, msg(1, str(2, '/api')))),
      ),
    ),
  ),
  meshAuthzBytes,
  entry(4, 'group', 'policy.linkerd.io'),
  entry(4, 'kind', 'server'),
  entry(4, 'name', 'api-http'),
  msg(
    1000,
    resource(1, 'policy.linkerd.io', 'HTTPLocalRateLimitPolicy', 'api-limit', 'shop'),
    msg(2, uint(1, 100)),
    msg(3, uint(1, 10)),
    msg(4, msg(1, uint(1, 50)), msg(2, msg(1, str(1, ADMIN)))),
  ),
].flat();

const expectedHttp1Server = inbound.Server.fromPartial({
  protocol: {
    kind: {
      $case: 'http1',
      value: {
        routes: [
          {
            metadata: expectedResource('policy.linkerd.io', 'HTTPRoute', 'api-read', 'shop'),
            authorizations: [
              {
                networks: [{ net: v4(0, 0), except: [] }],
                authentication: { permit: { $case: 'meshTLS', value: { clients: { $case: 'unauthenticated', value: {} } } } },
              },
            ],
            rules: [{ matches: [{ path: { kind: { $case: 'prefix', value: '/api' } } }] }],
          },
        ],
      },
    },
  },
  authorizations: [expectedMeshAuthz],
  labels: { group: 'policy.linkerd.io', kind: 'server', name: 'api-http' },
  httpLocalRateLimit: {
    metadata: expectedResource('policy.linkerd.io', 'HTTPLocalRateLimitPolicy', 'api-limit', 'shop'),
    total: { requestsPerSecond: 100 },
    identity: { requestsPerSecond: 10 },
    overrides: [{ limit: { requestsPerSecond: 50 }, clients: { identities: [{ name: ADMIN }] } }],
  },
});

// The default policy all-unauthenticated on a port no Server selects: protocol 1 { detect 1 { timeout 1 } },
// one Authz over 0.0.0.0/0 and ::/0 with authentication { unauthenticated 1 } and metadata { default 1 }.
const defaultServerBytes = [
  msg(1, msg(1, duration(1, 10))),
  msg(3, msg(1, ipv4Net(1, 0, 0)), msg(1, ipv6Net(1, 0n, 0n, 0)), msg(2, msg(1)), entry(3, 'kind', 'default'), entry(3, 'name', 'all-unauthenticated'), defaultMeta(4, 'all-unauthenticated')),
  entry(4, 'kind', 'default'),
  entry(4, 'name', 'all-unauthenticated'),
].flat();

const expectedDefaultServer = inbound.Server.fromPartial({
  protocol: { kind: { $case: 'detect', value: { timeout: { seconds: '10', nanos: 0 } } } },
  authorizations: [
    {
      networks: [
        { net: v4(0, 0), except: [] },
        { net: v6(0n, 0n, 0), except: [] },
      ],
      authentication: { permit: { $case: 'unauthenticated', value: {} } },
      labels: { kind: 'default', name: 'all-unauthenticated' },
      metadata: { kind: { $case: 'default', value: 'all-unauthenticated' } },
    },
  ],
  labels: { kind: 'default', name: 'all-unauthenticated' },
});

// Server.protocol 1 { grpc 6 { routes 2 { metadata 1, rules 4 { matches 1 { rpc 1 { service 1, method 2 } },
// filters 2 { failure_injector 1 { code 1, message 2 } } } } } }, and the deny default (no authorizations).
const grpcServerBytes = [
  msg(
    1,
    msg(
      6,
      msg(
        2,
        resource(1, 'gateway.networking.k8s.io', 'GRPCRoute', 'users-get', 'shop'),
        msg(4, msg(1, msg(1, str(1, 'shop.Users'), str(2, 'Get'))), msg(2, msg(1, uint(1, 14), str(2, 'maintenance')))),
      ),
    ),
  ),
].flat();

const expectedGrpcServer = inbound.Server.fromPartial({
  protocol: {
    kind: {
      $case: 'grpc',
      value: {
        routes: [
          {
            metadata: expectedResource('gateway.networking.k8s.io', 'GRPCRoute', 'users-get', 'shop'),
            rules: [
              {
                matches: [{ rpc: { service: 'shop.Users', method: 'Get' } }],
                filters: [{ kind: { $case: 'failureInjector', value: { code: 14, message: 'maintenance' } } }],
              },
            ],
          },
        ],
      },
    },
  },
});

const cases = [
  {
    name: 'HTTP/1 Server: mesh-TLS authorization by identity and suffix over two networks, a route with its own authorization, a local rate limit',
    bytes: http1ServerBytes,
    expected: expectedHttp1Server,
  },
  { name: 'default all-unauthenticated Server: detect, 0.0.0.0/0 and ::/0', bytes: defaultServerBytes, expected: expectedDefaultServer },
  { name: 'gRPC Server: service/method route with a failure injector, no authorizations', bytes: grpcServerBytes, expected: expectedGrpcServer },
];

describe('inbound Server wire vectors', () => {
  for (const { name, bytes: wire, expected } of cases) {
    it(`${name}: decodes to the expected message`, () => {
      expect(inbound.Server.decode(Uint8Array.from(wire))).toEqual(expected);
    });

    it(`${name}: encodes to the same bytes`, () => {
      expect([...inbound.Server.encode(expected).finish()]).toEqual(wire);
    });
  }

  it('writes the rate limit extension under field 1000 (tag bytes 0xc2 0x3e), which a Linkerd decoder skips', () => {
    const wire = [...inbound.Server.encode(expectedHttp1Server).finish()];
    const at = wire.indexOf(0xc2);
    expect(wire.slice(at, at + 2)).toEqual([0xc2, 0x3e]);
  });
});

describe('PortSpec wire vector and service paths', () => {
  // workload 1, port 2.
  const wire = [...str(1, '{"ns":"shop","pod":"api-0"}'), ...uint(2, 8080)];
  const expected = inbound.PortSpec.fromPartial({ workload: '{"ns":"shop","pod":"api-0"}', port: 8080 });

  it('decodes and encodes both ways', () => {
    expect(inbound.PortSpec.decode(Uint8Array.from(wire))).toEqual(expected);
    expect([...inbound.PortSpec.encode(expected).finish()]).toEqual(wire);
  });

  it('names the service and methods as Linkerd does', () => {
    expect(inbound.InboundServerPoliciesService.getPort.path).toBe('/io.linkerd.proxy.inbound.InboundServerPolicies/GetPort');
    expect(inbound.InboundServerPoliciesService.watchPort.path).toBe('/io.linkerd.proxy.inbound.InboundServerPolicies/WatchPort');
    expect(inbound.InboundServerPoliciesService.watchPort.responseStream).toBe(true);
  });
});
