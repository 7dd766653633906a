import type { HTTPRoute, LinkerdPolicyKind, ParentReference } from '@trellis/kube';
import { describe, expect, it } from 'vitest';
import { translateInboundRoute, translatePolicy } from './policy-translation';

const resource = (kind: LinkerdPolicyKind, spec: unknown) => ({
  apiVersion: kind === 'Server' ? 'policy.linkerd.io/v1beta3' : 'policy.linkerd.io/v1alpha1',
  kind,
  metadata: { name: 'p', namespace: 'shop' },
  spec: spec as Record<string, unknown>,
});

const accepted = (kind: LinkerdPolicyKind, spec: unknown) => {
  const result = translatePolicy(kind, resource(kind, spec));
  if (!result.ok) throw new Error(`${result.reason}: ${result.message}`);
  return result.value;
};

describe('translatePolicy: accepted resources', () => {
  it('Server: selector, numeric or named port, protocol, accessPolicy defaulting to deny', () => {
    expect(accepted('Server', { podSelector: { matchLabels: { app: 'api' } }, port: 8080, proxyProtocol: 'HTTP/1' })).toEqual({
      kind: 'Server',
      namespace: 'shop',
      name: 'p',
      createdAt: '',
      selector: { matchLabels: { app: 'api' }, matchExpressions: [] },
      port: 8080,
      protocol: 'HTTP/1',
      accessPolicy: 'deny',
    });
    expect(
      accepted('Server', { podSelector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['web'] }] }, port: 'http', accessPolicy: 'all-authenticated' }),
    ).toMatchObject({ port: 'http', protocol: 'unknown', accessPolicy: 'all-authenticated', selector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['web'] }] } });
  });

  it('AuthorizationPolicy: a Server, HTTPRoute or Namespace target; one network and one identity requirement', () => {
    expect(
      accepted('AuthorizationPolicy', {
        targetRef: { group: 'policy.linkerd.io', kind: 'Server', name: 'api' },
        requiredAuthenticationRefs: [
          { group: 'policy.linkerd.io', kind: 'MeshTLSAuthentication', name: 'web' },
          { group: 'policy.linkerd.io', kind: 'NetworkAuthentication', name: 'lan', namespace: 'infra' },
        ],
      }),
    ).toMatchObject({
      target: { kind: 'Server', name: 'api' },
      identity: { kind: 'MeshTLSAuthentication', ref: { namespace: 'shop', name: 'web' } },
      network: { namespace: 'infra', name: 'lan' },
    });
    expect(
      accepted('AuthorizationPolicy', { targetRef: { group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', name: 'r' }, requiredAuthenticationRefs: [{ kind: 'ServiceAccount', name: 'web' }] }),
    ).toMatchObject({ target: { kind: 'HTTPRoute', name: 'r' }, identity: { kind: 'ServiceAccount', ref: { namespace: 'shop', name: 'web' } } });
    expect(accepted('AuthorizationPolicy', { targetRef: { kind: 'Namespace', name: 'shop' }, requiredAuthenticationRefs: [] })).toMatchObject({
      target: { kind: 'Namespace' },
    });
  });

  it('MeshTLSAuthentication: identities, or ServiceAccount and Namespace refs', () => {
    expect(accepted('MeshTLSAuthentication', { identities: ['*', '*.web.serviceaccount.identity.cluster.local', 'a.b'] })).toMatchObject({
      identities: ['*', '*.web.serviceaccount.identity.cluster.local', 'a.b'],
      refs: [],
    });
    expect(accepted('MeshTLSAuthentication', { identityRefs: [{ kind: 'ServiceAccount', name: 'web' }, { kind: 'Namespace', name: 'ops' }] })).toMatchObject({
      refs: [
        { kind: 'ServiceAccount', ref: { namespace: 'shop', name: 'web' } },
        { kind: 'Namespace', ref: { namespace: 'ops', name: 'ops' } },
      ],
    });
  });

  it('NetworkAuthentication: canonical CIDRs with exceptions inside them', () => {
    const value = accepted('NetworkAuthentication', { networks: [{ cidr: '10.1.2.3/8', except: ['10.9.0.0/16'] }, { cidr: 'fd00::/8' }] });
    expect(value.kind === 'NetworkAuthentication' && value.networks.map((n) => [n.net.text, n.except.map((e) => e.text)])).toEqual([
      ['10.0.0.0/8', ['10.9.0.0/16']],
      ['fd00::/8', []],
    ]);
  });

  it('HTTPLocalRateLimitPolicy: total, per identity, overrides by ServiceAccount', () => {
    expect(
      accepted('HTTPLocalRateLimitPolicy', {
        targetRef: { group: 'policy.linkerd.io', kind: 'Server', name: 'api' },
        total: { requestsPerSecond: 100 },
        identity: { requestsPerSecond: 20 },
        overrides: [{ requestsPerSecond: 50, clientRefs: [{ kind: 'ServiceAccount', name: 'admin', namespace: 'ops' }] }],
      }),
    ).toMatchObject({ server: 'api', total: 100, identity: 20, overrides: [{ requestsPerSecond: 50, clients: [{ namespace: 'ops', name: 'admin' }] }] });
  });
});

describe('translatePolicy: rejected resources, with the reason', () => {
  it.each([
    ['Server', { port: 80 }, 'Malformed', /spec must have required property 'podSelector'/],
    ['Server', { podSelector: {}, port: 0 }, 'Malformed', /spec.port/],
    ['Server', { podSelector: {}, port: 80, proxyProtocol: 'HTTP/3' }, 'Malformed', /spec.proxyProtocol must be equal to one of the allowed values/],
    ['Server', { podSelector: { matchExpressions: [{ key: 'a', operator: 'In' }] }, port: 80 }, 'Malformed', /In needs values/],
    ['AuthorizationPolicy', { targetRef: { kind: 'Pod', name: 'x' }, requiredAuthenticationRefs: [] }, 'UnsupportedValue', /core\/Pod is not a target/],
    ['AuthorizationPolicy', { targetRef: { group: 'policy.linkerd.io', kind: 'Server', name: 'x', namespace: 'other' }, requiredAuthenticationRefs: [] }, 'UnsupportedValue', /in the policy's namespace/],
    ['AuthorizationPolicy', { targetRef: { kind: 'Namespace', name: 'other' }, requiredAuthenticationRefs: [] }, 'UnsupportedValue', /own namespace shop/],
    [
      'AuthorizationPolicy',
      { targetRef: { group: 'policy.linkerd.io', kind: 'Server', name: 'x' }, requiredAuthenticationRefs: [{ kind: 'ServiceAccount', name: 'a' }, { kind: 'ServiceAccount', name: 'b' }] },
      'UnsupportedValue',
      /at most one MeshTLSAuthentication or ServiceAccount/,
    ],
    ['AuthorizationPolicy', { targetRef: { group: 'policy.linkerd.io', kind: 'Server', name: 'x' } }, 'Malformed', /requiredAuthenticationRefs/],
    ['MeshTLSAuthentication', {}, 'Malformed', /exactly one of identities and identityRefs/],
    ['MeshTLSAuthentication', { identities: ['a.*.b'] }, 'Malformed', /wildcard/],
    ['NetworkAuthentication', { networks: [{ cidr: '10.0.0.0/33' }] }, 'InvalidCIDR', /spec.networks\[0\].cidr: "10.0.0.0\/33" is not a CIDR/],
    ['NetworkAuthentication', { networks: [{ cidr: 'not-an-ip' }] }, 'InvalidCIDR', /not an IP address/],
    ['NetworkAuthentication', { networks: [{ cidr: '10.0.0.0/8', except: ['192.168.0.0/16'] }] }, 'InvalidCIDR', /192.168.0.0\/16 is not inside 10.0.0.0\/8/],
    ['NetworkAuthentication', { networks: [] }, 'Malformed', /spec.networks must NOT have fewer than 1 items/],
    ['HTTPLocalRateLimitPolicy', { targetRef: { group: 'policy.linkerd.io', kind: 'Server', name: 'x' }, total: { requestsPerSecond: -5 } }, 'InvalidRate', /spec.total: requestsPerSecond must be from 1/],
    ['HTTPLocalRateLimitPolicy', { targetRef: { group: 'policy.linkerd.io', kind: 'Server', name: 'x' }, identity: { requestsPerSecond: 0 } }, 'InvalidRate', /spec.identity/],
    ['HTTPLocalRateLimitPolicy', { targetRef: { group: 'policy.linkerd.io', kind: 'Server', name: 'x' }, total: { requestsPerSecond: 1.5 } }, 'Malformed', /must be integer/],
    ['HTTPLocalRateLimitPolicy', { targetRef: { kind: 'Service', name: 'x' } }, 'UnsupportedValue', /must be a policy.linkerd.io Server/],
    [
      'HTTPLocalRateLimitPolicy',
      { targetRef: { group: 'policy.linkerd.io', kind: 'Server', name: 'x' }, total: { requestsPerSecond: 10 }, identity: { requestsPerSecond: 20 } },
      'InvalidRate',
      /spec.identity: requestsPerSecond 20 is above the total 10/,
    ],
    [
      'HTTPLocalRateLimitPolicy',
      { targetRef: { group: 'policy.linkerd.io', kind: 'Server', name: 'x' }, total: { requestsPerSecond: 10 }, overrides: [{ requestsPerSecond: 11, clientRefs: [{ kind: 'ServiceAccount', name: 'a' }] }] },
      'InvalidRate',
      /spec.overrides\[0\]: requestsPerSecond 11 is above the total 10/,
    ],
    [
      'HTTPLocalRateLimitPolicy',
      { targetRef: { group: 'policy.linkerd.io', kind: 'Server', name: 'x' }, overrides: [{ requestsPerSecond: 5, clientRefs: [{ kind: 'Namespace', name: 'a' }] }] },
      'UnsupportedValue',
      /clientRefs\[0\]: core\/Namespace is not a ServiceAccount/,
    ],
  ] as const)('%s %j: %s', (kind, spec, reason, message) => {
    const result = translatePolicy(kind, resource(kind, spec));
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.reason).toBe(reason);
      expect(result.message).toMatch(message);
    }
  });
});

describe('translateInboundRoute', () => {
  const route = (apiVersion: string, parentRefs: ParentReference[], rules: object[] = [{ matches: [{ path: { type: 'PathPrefix', value: '/api' } }] }]): HTTPRoute => ({
    apiVersion,
    kind: 'HTTPRoute',
    metadata: { name: 'r', namespace: 'shop' },
    spec: { parentRefs, rules },
  });

  it('takes HTTPRoutes of either group whose parents are Servers, keeping matches and request filters', () => {
    const result = translateInboundRoute(route('policy.linkerd.io/v1beta3', [{ group: 'policy.linkerd.io', kind: 'Server', name: 'api' }]));
    expect(result).toMatchObject({ ok: true, value: { group: 'policy.linkerd.io', servers: ['api'], rules: [{ matches: [{ path: { kind: { $case: 'prefix', value: '/api' } } }], filters: [] }] } });
    const gateway = translateInboundRoute(route('gateway.networking.k8s.io/v1', [{ group: 'policy.linkerd.io', kind: 'Server', name: 'api' }]));
    expect(gateway).toMatchObject({ ok: true, value: { group: 'gateway.networking.k8s.io' } });
  });

  it('ignores routes whose parents are Services (the outbound side serves them)', () => {
    expect(translateInboundRoute(route('gateway.networking.k8s.io/v1', [{ group: '', kind: 'Service', name: 'api' }]))).toBeUndefined();
  });

  it('rejects filters a Server route cannot apply', () => {
    const result = translateInboundRoute(
      route('policy.linkerd.io/v1beta3', [{ group: 'policy.linkerd.io', kind: 'Server', name: 'api' }], [{ filters: [{ type: 'URLRewrite', urlRewrite: { hostname: 'x' } }] }]),
    );
    expect(result).toMatchObject({ ok: false, reason: 'UnsupportedValue', message: expect.stringMatching(/only RequestHeaderModifier and RequestRedirect/) });
  });
});
