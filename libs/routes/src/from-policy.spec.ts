import { HttpMethod_Registered, Scheme_Registered, type Backend, type DestinationProfile, type GrpcRoute, type HttpRoute, type OutboundPolicy, type httpRoute } from '@trellis/proto';
import { describe, expect, it } from 'vitest';
import { chooseRouteTable } from './choose';
import { hasGatewayRoutes, tableFromPolicy } from './from-policy';
import { DEFAULT_ROUTE_NAME } from './model';
import { request } from './request.test-helpers';
import { selectRule } from './select';

const ms = (n: number) => ({ seconds: String(Math.floor(n / 1000)), nanos: (n % 1000) * 1_000_000 });
const backend = (path: string): Backend => ({ kind: { $case: 'balancer', value: { discovery: { kind: { $case: 'dst', value: { path } } } } } });
const meta = (name: string, kind = 'HTTPRoute', group = 'gateway.networking.k8s.io') => ({
  kind: { $case: 'resource' as const, value: { group, kind, name, namespace: 'shop', section: '', port: 0 } },
});
const prefix = (value: string): httpRoute.HttpRouteMatch => ({ path: { kind: { $case: 'prefix', value } }, headers: [], queryParams: [] });
const header = (name: string, value: string): httpRoute.HttpRouteMatch => ({ headers: [{ name, value: { $case: 'exact', value } }], queryParams: [] });
const split = (...bs: [string, number][]) => ({
  kind: { $case: 'randomAvailable' as const, value: { backends: bs.map(([p, weight]) => ({ backend: { backend: backend(p), filters: [] }, weight })) } },
});

function rule(matches: httpRoute.HttpRouteMatch[], extra: Partial<HttpRoute['rules'][number]> = {}): HttpRoute['rules'][number] {
  return { matches, filters: [], backends: split(['cart.shop.svc.cluster.local:80', 1]), allowL5dRequestHeaders: false, ...extra };
}

function detect(routes: HttpRoute[]): OutboundPolicy {
  return { protocol: { kind: { $case: 'detect', value: { http1: { routes }, http2: { routes } } } } };
}

const canary: HttpRoute = {
  metadata: meta('cart-canary'),
  hosts: [],
  rules: [
    rule([header('x-canary', 'yes')], { backends: split(['cart-v2.shop.svc.cluster.local:80', 1]) }),
    rule([prefix('/')], { backends: split(['cart-v1.shop.svc.cluster.local:80', 80], ['cart-v2.shop.svc.cluster.local:80', 20], ['cart-v3.shop.svc.cluster.local:80', 0]) }),
  ],
};

describe('tableFromPolicy (HTTP)', () => {
  it('translates per-rule weighted backends, leaving out weight 0', () => {
    const t = tableFromPolicy(detect([canary]));
    expect(t.selection).toBe('gamma');
    expect(t.fallback).toBeUndefined();
    expect(t.routes[0]?.rules[1]?.backends.map((b) => [b.authority, b.weight])).toEqual([
      ['cart-v1.shop.svc.cluster.local:80', 80],
      ['cart-v2.shop.svc.cluster.local:80', 20],
    ]);
    expect(t.routes[0]?.rules.map((r) => r.name)).toEqual(['cart-canary', 'cart-canary']);
  });

  it.each([
    [{ 'x-canary': 'yes' }, 'cart-v2.shop.svc.cluster.local:80'],
    [{ 'x-canary': 'no' }, 'cart-v1.shop.svc.cluster.local:80'],
    [{}, 'cart-v1.shop.svc.cluster.local:80'],
  ])('header %j selects the rule whose first backend is %s', (headers, first) => {
    const s = selectRule(tableFromPolicy(detect([canary])), request('GET', '/items', headers));
    expect(s?.rule.backends[0]?.authority).toBe(first);
  });

  it('translates timeouts (stream over the request; response and retry timeout per attempt) and retries', () => {
    const t = tableFromPolicy(
      detect([
        {
          metadata: meta('r'),
          hosts: [],
          rules: [
            rule([prefix('/')], {
              requestTimeout: ms(9_000),
              timeouts: { stream: ms(2_000), response: ms(500) },
              retry: {
                maxRetries: 2,
                maxRequestBytes: 1_024,
                conditions: { statusRanges: [{ start: 503, end: 503 }] },
                timeout: ms(300),
                backoff: { minBackoff: ms(25), maxBackoff: ms(250), jitterRatio: 1 },
              },
            }),
          ],
        },
      ]),
    );
    const r = t.routes[0]?.rules[0];
    expect(r?.timeouts).toEqual({ requestMs: 2_000, backendRequestMs: 300 });
    expect(r?.retry).toEqual({
      maxRetries: 2,
      maxRequestBytes: 1_024,
      budgeted: false,
      on: { kind: 'status', ranges: [{ start: 503, end: 503 }] },
      backoff: { minMs: 25, maxMs: 250, jitter: 1 },
    });
  });

  it('translates filters in order, and a missing backend into one that answers', () => {
    const t = tableFromPolicy(
      detect([
        {
          metadata: meta('f'),
          hosts: [{ match: { $case: 'suffix', value: { reverseLabels: ['com', 'example'] } } }],
          rules: [
            rule([prefix('/old')], {
              filters: [
                { kind: { $case: 'redirect', value: { scheme: { type: { $case: 'registered', value: Scheme_Registered.HTTPS } }, host: 'shop.example.com', port: 0, status: 0, path: { replace: { $case: 'prefix', value: '/new' } } } } },
                { kind: { $case: 'requestHeaderModifier', value: { set: { headers: [{ name: 'x-api', value: Buffer.from('v1') }] }, remove: ['x-debug'] } } },
                { kind: { $case: 'urlRewrite', value: { hostname: '', path: { replace: { $case: 'full', value: '/v2' } } } } },
              ],
              backends: { kind: { $case: 'randomAvailable', value: { backends: [{ backend: { backend: { queue: { capacity: 100 } }, filters: [] }, weight: 1 }] } } },
            }),
          ],
        },
      ]),
    );
    const route = t.routes[0];
    expect(route?.hosts).toEqual([{ kind: 'suffix', suffix: 'example.com' }]);
    expect(route?.rules[0]?.filters).toEqual([
      { kind: 'redirect', scheme: 'https', host: 'shop.example.com', port: undefined, status: 302, path: { kind: 'prefix', value: '/new' } },
      { kind: 'request-headers', modifier: { add: [], set: [['x-api', 'v1']], remove: ['x-debug'] } },
      { kind: 'url-rewrite', host: undefined, path: { kind: 'full', value: '/v2' } },
    ]);
    expect(route?.rules[0]?.backends[0]).toMatchObject({ authority: undefined, filters: [{ kind: 'failure', status: 500, grpcCode: 14 }] });
  });

  it('answers nothing for a request no rule matches (404), and tells gateway routes from the default route', () => {
    const only = detect([{ metadata: meta('a'), hosts: [], rules: [rule([prefix('/api')])] }]);
    expect(selectRule(tableFromPolicy(only), request('GET', '/other'))).toBeUndefined();
    expect(hasGatewayRoutes(tableFromPolicy(only))).toBe(true);
    const fallback = detect([{ metadata: { kind: { $case: 'default', value: 'http' } }, hosts: [], rules: [rule([prefix('/')])] }]);
    expect(hasGatewayRoutes(tableFromPolicy(fallback))).toBe(false);
    expect(selectRule(tableFromPolicy(fallback), request('GET', '/other'))?.rule.name).toBe(DEFAULT_ROUTE_NAME);
  });

  it('drops a match with an invalid path regex, and a rule left without a match', () => {
    const t = tableFromPolicy(detect([{ metadata: meta('bad'), hosts: [], rules: [rule([{ path: { kind: { $case: 'regex', value: '([' } }, headers: [], queryParams: [] }])] }]));
    expect(t.routes[0]?.rules).toEqual([]);
  });
});

describe('tableFromPolicy (gRPC)', () => {
  const route: GrpcRoute = {
    metadata: meta('users-get', 'GRPCRoute'),
    hosts: [],
    rules: [
      {
        matches: [{ rpc: { service: 'shop.Users', method: 'Get' }, headers: [] }],
        filters: [],
        backends: split(['users-v2.shop.svc.cluster.local:9090', 1]),
        retry: { maxRetries: 1, maxRequestBytes: 0, conditions: { cancelled: false, deadineExceeded: true, resourceExhausted: false, internal: false, unavailable: true } },
        allowL5dRequestHeaders: false,
      },
      { matches: [{ rpc: { service: 'shop.Users', method: '' }, headers: [] }], filters: [], backends: split(['users.shop.svc.cluster.local:9090', 1]), allowL5dRequestHeaders: false },
    ],
  };
  const t = tableFromPolicy({ protocol: { kind: { $case: 'grpc', value: { routes: [route] } } } });

  it.each([
    ['/shop.Users/Get', 'users-v2.shop.svc.cluster.local:9090'],
    ['/shop.Users/List', 'users.shop.svc.cluster.local:9090'],
    ['/shop.Orders/Get', undefined],
  ])('%s -> %s', (path, authority) => {
    expect(selectRule(t, request('POST', path))?.rule.backends[0]?.authority).toBe(authority);
  });

  it('retries the flagged grpc-status codes, replaying bodies up to 64 KiB', () => {
    expect(t.routes[0]?.rules[0]?.retry).toMatchObject({ maxRetries: 1, maxRequestBytes: 65_536, on: { kind: 'grpc', codes: [4, 14] } });
  });
});

describe('chooseRouteTable', () => {
  const resolveAuthority = (a: string) => a;
  const profileRoute = { condition: { match: { $case: 'method' as const, value: { type: { $case: 'registered' as const, value: HttpMethod_Registered.GET } } } }, responseClasses: [], metricsLabels: { route: 'get' }, isRetryable: false };
  const profile: DestinationProfile = { fullyQualifiedName: 'cart.shop.svc.cluster.local', opaqueProtocol: false, routes: [profileRoute], dstOverrides: [] };
  const defaultPolicy = detect([{ metadata: { kind: { $case: 'default', value: 'http' } }, hosts: [], rules: [rule([prefix('/')], { timeouts: { stream: ms(1_000) } })] }]);

  const cases: [string, OutboundPolicy | null, DestinationProfile | null, string][] = [
    ['gateway routes win over a profile', detect([canary]), profile, 'policy'],
    ['a profile with routes wins over the default route', defaultPolicy, profile, 'profile'],
    ['the default route (Service annotations) wins over an empty profile', defaultPolicy, { ...profile, routes: [] }, 'policy'],
    ['no policy API: the profile', null, profile, 'profile'],
    ['nothing at all: the default route', null, null, 'default'],
  ];
  it.each(cases)('%s', (_what, policy, prof, origin) => {
    expect(chooseRouteTable(policy, prof, { resolveAuthority }).origin).toBe(origin);
  });
});
