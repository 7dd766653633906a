import type { HTTPRoute, Service } from '@trellis/kube';
import type { HttpRoute, OutboundPolicy } from '@trellis/proto';
import { describe, expect, it } from 'vitest';
import type { PolicyContext } from './outbound-policy';
import { buildOutboundPolicy, routesFor } from './outbound-policy';
import type { TranslatedRoute } from './route-translation';
import { translateRoute } from './route-translation';

function service(name: string, annotations: Record<string, string> = {}): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'shop', annotations }, spec: { ports: [{ name: 'http', port: 80 }, { name: 'admin', port: 9000 }] } };
}

function route(name: string, namespace: string, spec: object, annotations: Record<string, string> = {}, kind: 'HTTPRoute' | 'GRPCRoute' = 'HTTPRoute', createdAt = '2026-01-01T00:00:00Z'): TranslatedRoute {
  const obj: HTTPRoute = {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind,
    metadata: { name, namespace, annotations, creationTimestamp: createdAt },
    spec: { parentRefs: [{ group: '', kind: 'Service', name: 'web', namespace: 'shop' }], rules: [{}], ...spec },
  };
  const result = translateRoute(kind, obj);
  if (!result.ok) throw new Error(result.message);
  return result.route;
}

const context = (routes: TranslatedRoute[], extra: Partial<PolicyContext> = {}): PolicyContext => ({
  clusterDomain: 'cluster.local',
  routes,
  serviceExists: (_ns, name) => name !== 'gone',
  ...extra,
});

function httpRoutes(policy: OutboundPolicy): HttpRoute[] {
  const kind = policy.protocol?.kind;
  if (kind?.$case !== 'detect') throw new Error(`expected detect, got ${kind?.$case}`);
  expect(kind.value.http2?.routes).toEqual(kind.value.http1?.routes);
  return kind.value.http1?.routes ?? [];
}

const names = (routes: TranslatedRoute[]) => routes.map((r) => `${r.namespace}/${r.name}`);
const ms = (n: number) => ({ seconds: String(Math.floor(n / 1000)), nanos: (n % 1000) * 1_000_000 });

describe('routesFor (GAMMA scoping)', () => {
  const producer = route('producer', 'shop', {});
  const older = route('older', 'shop', {}, {}, 'HTTPRoute', '2025-01-01T00:00:00Z');
  const consumer = route('consumer', 'web-client', {});
  const stranger = route('stranger', 'elsewhere', {});
  const undated = route('undated', 'shop', {}, {}, 'HTTPRoute', '');
  const adminOnly = route('admin', 'shop', { parentRefs: [{ group: '', kind: 'Service', name: 'web', sectionName: 'admin' }] });
  const all = [undated, producer, older, consumer, stranger, adminOnly];

  it.each([
    ['a client in the Service namespace', 'shop', 80, ['shop/older', 'shop/producer', 'shop/undated']],
    ['a client with consumer routes', 'web-client', 80, ['web-client/consumer']],
    ['a client without consumer routes', 'elsewhere-2', 80, ['shop/older', 'shop/producer', 'shop/undated']],
    ['an unknown client', undefined, 80, ['shop/older', 'shop/producer', 'shop/undated']],
    ['the port a sectionName names', 'shop', 9000, ['shop/older', 'shop/admin', 'shop/producer', 'shop/undated']],
  ])('%s', (_what, clientNamespace, port, expected) => {
    expect(names(routesFor({ service: service('web'), port, clientNamespace }, all))).toEqual(expected);
  });
});

describe('buildOutboundPolicy', () => {
  it('without routes or profile: the default route to the Service, with its annotations and failure accrual', () => {
    const policy = buildOutboundPolicy(
      {
        service: service('web', {
          'timeout.linkerd.io/request': '5s',
          'retry.linkerd.io/http': 'gateway-error,429',
          'balancer.linkerd.io/failure-accrual': 'consecutive',
          'balancer.linkerd.io/failure-accrual-consecutive-max-failures': '3',
        }),
        port: 80,
        clientNamespace: undefined,
      },
      context([]),
    );
    expect(policy.metadata).toEqual({ kind: { $case: 'resource', value: { group: 'core', kind: 'Service', name: 'web', namespace: 'shop', section: '', port: 80 } } });
    const [route] = httpRoutes(policy);
    expect(route?.metadata).toEqual({ kind: { $case: 'default', value: 'http' } });
    expect(route?.rules[0]?.timeouts).toEqual({ stream: ms(5000) });
    expect(route?.rules[0]?.retry).toEqual({
      maxRetries: 1,
      maxRequestBytes: 65536,
      conditions: { statusRanges: [{ start: 502, end: 504 }, { start: 429, end: 429 }] },
      backoff: { minBackoff: ms(25), maxBackoff: ms(250), jitterRatio: 1 },
    });
    const detect = policy.protocol?.kind;
    if (detect?.$case !== 'detect') throw new Error('expected detect');
    expect(detect.value.timeout).toEqual(ms(10_000));
    expect(detect.value.http1?.failureAccrual).toEqual({
      kind: { $case: 'consecutiveFailures', value: { maxFailures: 3, backoff: { minBackoff: ms(1000), maxBackoff: ms(60_000), jitterRatio: 0.5 } } },
    });
    expect(detect.value.opaque?.routes).toHaveLength(1);
  });

  it('route annotations replace the Service ones of their group; annotations win over the route fields', () => {
    const svc = service('web', { 'timeout.linkerd.io/idle': '1m', 'retry.linkerd.io/http': '5xx' });
    const withOwn = route('own', 'shop', { rules: [{ timeouts: { request: '3s', backendRequest: '1s' } }] }, { 'timeout.linkerd.io/request': '4s' });
    const plain = route('plain', 'shop', { rules: [{ timeouts: { request: '3s' } }] }, {}, 'HTTPRoute', '2026-02-01T00:00:00Z');
    const [own, inherited] = httpRoutes(buildOutboundPolicy({ service: svc, port: 80, clientNamespace: undefined }, context([withOwn, plain])));
    expect(own?.rules[0]?.timeouts).toEqual({ stream: ms(4000), response: ms(1000) });
    expect(own?.rules[0]?.requestTimeout).toEqual(ms(4000));
    expect(inherited?.rules[0]?.timeouts).toEqual({ idle: ms(60_000), stream: ms(3000) });
    expect(own?.rules[0]?.retry?.conditions).toEqual({ statusRanges: [{ start: 500, end: 599 }] });
  });

  it('uses the HTTPRoute retry field when no retry annotation applies', () => {
    const r = route('retrying', 'shop', { rules: [{ retry: { codes: [503], attempts: 4, backoff: '1s' } }] });
    const [policyRoute] = httpRoutes(buildOutboundPolicy({ service: service('web'), port: 80, clientNamespace: undefined }, context([r])));
    expect(policyRoute?.rules[0]?.retry).toEqual({
      maxRetries: 4,
      maxRequestBytes: 65536,
      conditions: { statusRanges: [{ start: 503, end: 503 }] },
      backoff: { minBackoff: ms(1000), maxBackoff: ms(1000), jitterRatio: 1 },
    });
  });

  it('answers requests to a backendRef naming a missing Service with a 500 failure filter', () => {
    const r = route('split', 'shop', { rules: [{ backendRefs: [{ name: 'web', port: 80, weight: 9 }, { name: 'gone', port: 80, weight: 1 }] }] });
    const [policyRoute] = httpRoutes(buildOutboundPolicy({ service: service('web'), port: 80, clientNamespace: undefined }, context([r])));
    const kind = policyRoute?.rules[0]?.backends?.kind;
    if (kind?.$case !== 'randomAvailable') throw new Error('expected a weighted split');
    const [, missing] = kind.value.backends;
    expect(missing?.weight).toBe(1);
    expect(missing?.backend?.backend?.kind).toBeUndefined();
    expect(missing?.backend?.filters).toEqual([{ kind: { $case: 'failureInjector', value: { status: 500, message: 'backend Service shop/gone not found' } } }]);
  });

  it('GRPCRoutes make the policy gRPC and leave the HTTPRoutes out', () => {
    const policy = buildOutboundPolicy(
      { service: service('web'), port: 80, clientNamespace: undefined },
      context([route('h', 'shop', {}), route('g', 'shop', { rules: [{ matches: [{ method: { service: 's.S', method: 'M' } }] }] }, {}, 'GRPCRoute')]),
    );
    const kind = policy.protocol?.kind;
    if (kind?.$case !== 'grpc') throw new Error(`expected grpc, got ${kind?.$case}`);
    expect(kind.value.routes.map((r) => (r.metadata?.kind?.$case === 'resource' ? r.metadata.kind.value.name : ''))).toEqual(['g']);
  });

  it('routes take precedence over the ServiceProfile, which has no say once a route is attached', () => {
    const profile = {
      parts: { routes: [], retryBudget: { retryRatio: 0.2, minRetriesPerSecond: 10, ttl: ms(10_000) }, dstOverrides: [{ authority: 'other.shop.svc.cluster.local:80', weight: 10_000 }] },
      namespace: 'shop',
      name: 'web.shop.svc.cluster.local',
    };
    const routed = httpRoutes(buildOutboundPolicy({ service: service('web'), port: 80, clientNamespace: undefined }, context([route('r', 'shop', {})], { profile })));
    expect(routed.map((r) => r.metadata?.kind?.$case)).toEqual(['resource']);
    const profiled = httpRoutes(buildOutboundPolicy({ service: service('web'), port: 80, clientNamespace: undefined }, context([], { profile })));
    expect(profiled.map((r) => r.metadata?.kind?.value)).toEqual(['http']);
    const kind = profiled[0]?.rules[0]?.backends?.kind;
    expect(kind?.$case === 'randomAvailable' ? kind.value.backends.map((b) => b.weight) : []).toEqual([10_000]);
  });
});
