import type { LinkerdPolicyKind, Pod } from '@trellis/kube';
import type { inbound } from '@trellis/proto';
import { describe, expect, it } from 'vitest';
import type { Cidr } from './cidr';
import { parseCidrList } from './cidr';
import type { InboundIndex, InboundOptions } from './inbound-policy';
import { buildInboundServer, selects } from './inbound-policy';
import type { AuthorizationPolicyT, MeshTLSAuthenticationT, NetworkAuthenticationT, PolicyT, RateLimitT, ServerPolicy } from './policy-translation';
import { translatePolicy } from './policy-translation';

const cidrs = (text: string): Cidr[] => {
  const parsed = parseCidrList(text);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.cidrs;
};
const OPTIONS: InboundOptions = { defaultPolicy: 'all-unauthenticated', clusterNetworks: cidrs('10.0.0.0/8,fd00::/8'), trustDomain: 'cluster.local' };

function policy<T extends PolicyT>(kind: LinkerdPolicyKind, name: string, spec: object, createdAt = ''): T {
  const result = translatePolicy(kind, { apiVersion: 'policy.linkerd.io/v1alpha1', kind, metadata: { name, namespace: 'shop', creationTimestamp: createdAt }, spec: spec as Record<string, unknown> });
  if (!result.ok) throw new Error(result.message);
  return result.value as T;
}

function indexOf(entries: PolicyT[]): InboundIndex {
  const of = <T extends PolicyT>(kind: T['kind']) => entries.filter((e): e is T => e.kind === kind);
  return {
    servers: of<ServerPolicy>('Server'),
    authorizations: of<AuthorizationPolicyT>('AuthorizationPolicy'),
    meshTLS: (ref) => of<MeshTLSAuthenticationT>('MeshTLSAuthentication').find((m) => m.namespace === ref.namespace && m.name === ref.name),
    networks: (ref) => of<NetworkAuthenticationT>('NetworkAuthentication').find((m) => m.namespace === ref.namespace && m.name === ref.name),
    routes: [],
    rateLimits: of<RateLimitT>('HTTPLocalRateLimitPolicy'),
  };
}

const pod = (labels: Record<string, string>, annotations: Record<string, string> = {}): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'api-0', namespace: 'shop', labels, annotations },
  spec: { containers: [{ name: 'app', ports: [{ name: 'http', containerPort: 8080 }] }] },
});

const API = pod({ app: 'api' });
const server = (name = 'api-http', extra: object = {}, createdAt = '') =>
  policy<ServerPolicy>('Server', name, { podSelector: { matchLabels: { app: 'api' } }, port: 8080, proxyProtocol: 'HTTP/1', ...extra }, createdAt);
const allowWeb = policy<AuthorizationPolicyT>('AuthorizationPolicy', 'web-to-api', {
  targetRef: { group: 'policy.linkerd.io', kind: 'Server', name: 'api-http' },
  requiredAuthenticationRefs: [
    { group: 'policy.linkerd.io', kind: 'MeshTLSAuthentication', name: 'web' },
    { group: 'policy.linkerd.io', kind: 'NetworkAuthentication', name: 'lan' },
  ],
});
const web = policy<MeshTLSAuthenticationT>('MeshTLSAuthentication', 'web', { identityRefs: [{ kind: 'ServiceAccount', name: 'web' }, { kind: 'Namespace', name: 'ops' }] });
const lan = policy<NetworkAuthenticationT>('NetworkAuthentication', 'lan', { networks: [{ cidr: '10.0.0.0/8', except: ['10.9.0.0/16'] }] });

const v4 = (value: number, prefixLen: number) => ({ ip: { ip: { $case: 'ipv4', value } }, prefixLen });
const kindOf = (s: inbound.Server) => s.protocol?.kind?.$case;

describe('buildInboundServer: a Server selects the port', () => {
  it('HTTP/1 Server with a mesh-TLS and network AuthorizationPolicy, default route, Server labels', () => {
    const message = buildInboundServer(API, 8080, indexOf([server(), allowWeb, web, lan]), OPTIONS);
    expect(kindOf(message)).toBe('http1');
    expect(message.labels).toEqual({ group: 'policy.linkerd.io', kind: 'server', name: 'api-http' });
    expect(message.authorizations).toEqual([
      {
        networks: [{ net: v4(0x0a000000, 8), except: [v4(0x0a090000, 16)] }],
        authentication: {
          permit: {
            $case: 'meshTLS',
            value: {
              clients: {
                $case: 'identities',
                value: {
                  identities: [{ name: 'web.shop.serviceaccount.identity.cluster.local' }],
                  suffixes: [{ parts: ['ops', 'serviceaccount', 'identity', 'cluster', 'local'] }],
                },
              },
            },
          },
        },
        labels: { group: 'policy.linkerd.io', kind: 'authorizationpolicy', name: 'web-to-api' },
        metadata: { kind: { $case: 'resource', value: { group: 'policy.linkerd.io', kind: 'AuthorizationPolicy', name: 'web-to-api', namespace: 'shop', section: '', port: 0 } } },
      },
    ]);
    const routes = message.protocol?.kind?.$case === 'http1' ? message.protocol.kind.value.routes : [];
    expect(routes.map((r) => r.metadata?.kind)).toEqual([{ $case: 'default', value: 'default' }]);
    expect(routes[0]?.authorizations).toEqual(message.authorizations);
  });

  it('a Server without AuthorizationPolicies denies (accessPolicy deny); accessPolicy adds its default authorization', () => {
    expect(buildInboundServer(API, 8080, indexOf([server()]), OPTIONS).authorizations).toEqual([]);
    const open = buildInboundServer(API, 8080, indexOf([server('api-http', { accessPolicy: 'cluster-unauthenticated' })]), OPTIONS);
    expect(open.authorizations.map((a) => [a.metadata?.kind, a.authentication?.permit?.$case, a.networks.length])).toEqual([
      [{ $case: 'default', value: 'cluster-unauthenticated' }, 'unauthenticated', 2],
    ]);
  });

  it('fails closed: an authorization whose MeshTLSAuthentication is gone admits nobody', () => {
    expect(buildInboundServer(API, 8080, indexOf([server(), allowWeb, lan]), OPTIONS).authorizations).toEqual([]);
  });

  it('a ServiceAccount requirement is that account identity, over every network', () => {
    const bySa = policy<AuthorizationPolicyT>('AuthorizationPolicy', 'sa', {
      targetRef: { group: 'policy.linkerd.io', kind: 'Server', name: 'api-http' },
      requiredAuthenticationRefs: [{ kind: 'ServiceAccount', name: 'web', namespace: 'front' }],
    });
    const [authz] = buildInboundServer(API, 8080, indexOf([server(), bySa]), { ...OPTIONS, trustDomain: 'example.org' }).authorizations;
    expect(authz?.networks).toHaveLength(2);
    expect(authz?.authentication).toEqual({
      permit: { $case: 'meshTLS', value: { clients: { $case: 'identities', value: { identities: [{ name: 'web.front.serviceaccount.identity.example.org' }], suffixes: [] } } } },
    });
  });

  it('a Namespace-wide AuthorizationPolicy without requirements admits everyone, unauthenticated', () => {
    const everyone = policy<AuthorizationPolicyT>('AuthorizationPolicy', 'ns', { targetRef: { kind: 'Namespace', name: 'shop' }, requiredAuthenticationRefs: [] });
    const [authz] = buildInboundServer(API, 8080, indexOf([server(), everyone]), OPTIONS).authorizations;
    expect(authz?.authentication?.permit?.$case).toBe('unauthenticated');
  });

  it.each([
    ['unknown', 'detect'],
    ['HTTP/2', 'http2'],
    ['gRPC', 'grpc'],
    ['opaque', 'opaque'],
    ['TLS', 'tls'],
  ])('proxyProtocol %s is %s', (proxyProtocol, kind) => {
    expect(kindOf(buildInboundServer(API, 8080, indexOf([server('api-http', { proxyProtocol })]), OPTIONS))).toBe(kind);
  });

  it('a named port matches the container port of that name; the oldest of two matching Servers wins', () => {
    const named = policy<ServerPolicy>('Server', 'named', { podSelector: {}, port: 'http' }, '2026-01-02T00:00:00Z');
    const older = policy<ServerPolicy>('Server', 'older', { podSelector: { matchLabels: { app: 'api' } }, port: 8080 }, '2026-01-01T00:00:00Z');
    expect(buildInboundServer(API, 8080, indexOf([named]), OPTIONS).labels.name).toBe('named');
    expect(buildInboundServer(API, 8080, indexOf([named, older]), OPTIONS).labels.name).toBe('older');
    expect(buildInboundServer(API, 9090, indexOf([named, older]), OPTIONS).labels).toEqual({ group: '', kind: 'default', name: 'all-unauthenticated' });
  });

  it('carries the rate limit of the oldest HTTPLocalRateLimitPolicy on the Server, overrides spelled as identities', () => {
    const limit = policy<RateLimitT>('HTTPLocalRateLimitPolicy', 'limit', {
      targetRef: { group: 'policy.linkerd.io', kind: 'Server', name: 'api-http' },
      total: { requestsPerSecond: 100 },
      identity: { requestsPerSecond: 10 },
      overrides: [{ requestsPerSecond: 50, clientRefs: [{ kind: 'ServiceAccount', name: 'admin', namespace: 'ops' }] }],
    });
    expect(buildInboundServer(API, 8080, indexOf([server(), limit]), OPTIONS).httpLocalRateLimit).toEqual({
      metadata: { kind: { $case: 'resource', value: { group: 'policy.linkerd.io', kind: 'HTTPLocalRateLimitPolicy', name: 'limit', namespace: 'shop', section: '', port: 0 } } },
      total: { requestsPerSecond: 100 },
      identity: { requestsPerSecond: 10 },
      overrides: [{ limit: { requestsPerSecond: 50 }, clients: { identities: [{ name: 'admin.ops.serviceaccount.identity.cluster.local' }] } }],
    });
  });
});

describe('buildInboundServer: default policies when no Server selects the port', () => {
  const defaults = (policyName: InboundOptions['defaultPolicy'], target: Pod | undefined = API) => buildInboundServer(target, 8080, indexOf([]), { ...OPTIONS, defaultPolicy: policyName });
  const summary = (s: inbound.Server) =>
    s.authorizations.map((a) => ({
      nets: a.networks.length,
      authn: a.authentication?.permit?.$case === 'meshTLS' ? 'any identity' : a.authentication?.permit?.$case,
    }));

  it.each([
    ['all-unauthenticated', [{ nets: 2, authn: 'unauthenticated' }]],
    ['all-authenticated', [{ nets: 2, authn: 'any identity' }]],
    ['cluster-unauthenticated', [{ nets: 2, authn: 'unauthenticated' }]],
    ['cluster-authenticated', [{ nets: 2, authn: 'any identity' }]],
    ['deny', []],
    ['audit', [{ nets: 2, authn: 'unauthenticated' }]],
  ] as const)('%s', (name, expected) => {
    const message = defaults(name);
    expect(summary(message)).toEqual(expected);
    const routes = message.protocol?.kind?.$case === 'detect' ? message.protocol.kind.value.httpRoutes : [];
    expect(routes.map((r) => r.authorizations)).toEqual([message.authorizations]);
    expect(message.labels).toEqual({ group: '', kind: 'default', name });
    expect(kindOf(message)).toBe('detect');
  });

  it('cluster-* admits the cluster networks; all-* admits 0.0.0.0/0 and ::/0', () => {
    expect(defaults('cluster-unauthenticated').authorizations[0]?.networks[0]?.net).toEqual(v4(0x0a000000, 8));
    expect(defaults('all-unauthenticated').authorizations[0]?.networks[0]?.net).toEqual(v4(0, 0));
  });

  it("the pod's config.linkerd.io/default-inbound-policy annotation wins over the flag; an unknown value is ignored", () => {
    expect(defaults('all-unauthenticated', pod({ app: 'api' }, { 'config.linkerd.io/default-inbound-policy': 'deny' })).labels.name).toBe('deny');
    expect(defaults('all-authenticated', pod({ app: 'api' }, { 'config.linkerd.io/default-inbound-policy': 'allow-all' })).labels.name).toBe('all-authenticated');
  });

  it('a pod the index does not know gets the flag default', () => {
    expect(defaults('cluster-authenticated', undefined).labels.name).toBe('cluster-authenticated');
  });
});

describe('selects', () => {
  it.each([
    [{ matchLabels: {}, matchExpressions: [] }, true],
    [{ matchLabels: { app: 'api' }, matchExpressions: [] }, true],
    [{ matchLabels: { app: 'web' }, matchExpressions: [] }, false],
    [{ matchLabels: {}, matchExpressions: [{ key: 'app', operator: 'In' as const, values: ['api', 'web'] }] }, true],
    [{ matchLabels: {}, matchExpressions: [{ key: 'app', operator: 'NotIn' as const, values: ['api'] }] }, false],
    [{ matchLabels: {}, matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' as const, values: [] }] }, true],
    [{ matchLabels: {}, matchExpressions: [{ key: 'tier', operator: 'Exists' as const, values: [] }] }, false],
  ])('%j → %s', (selector, expected) => {
    expect(selects(selector, { app: 'api' })).toBe(expected);
  });
});
