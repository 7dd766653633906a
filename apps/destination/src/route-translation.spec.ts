import type { HTTPRoute } from '@trellis/kube';
import { describe, expect, it } from 'vitest';
import type { RouteKind } from './route-translation';
import { translateRoute } from './route-translation';

function route(kind: RouteKind, spec: object, annotations?: Record<string, string>): HTTPRoute {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind,
    metadata: { name: 'r', namespace: 'shop', creationTimestamp: '2026-01-01T00:00:00Z', ...(annotations ? { annotations } : {}) },
    spec: { parentRefs: [{ group: '', kind: 'Service', name: 'web' }], ...spec },
  };
}

const http = (rule: object, annotations?: Record<string, string>) => translateRoute('HTTPRoute', route('HTTPRoute', { rules: [rule] }, annotations));

describe('translateRoute', () => {
  it('translates matches, filters, weighted backends, timeouts and retry of an HTTPRoute', () => {
    const result = http({
      matches: [
        {
          path: { type: 'Exact', value: '/cart' },
          headers: [{ name: 'X-User', type: 'RegularExpression', value: 'a.*' }],
          queryParams: [{ name: 'v', value: '2' }],
          method: 'POST',
        },
      ],
      filters: [
        { type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'X-Route', value: 'cart' }], remove: ['X-Debug'] } },
        { type: 'ResponseHeaderModifier', responseHeaderModifier: { add: [{ name: 'X-Served-By', value: 'trellis' }] } },
      ],
      backendRefs: [
        { name: 'cart-v1', port: 8080, weight: 3 },
        { name: 'cart-v2', namespace: 'beta', port: 8080 },
      ],
      timeouts: { request: '10s', backendRequest: '2s' },
      retry: { codes: [503, 504], attempts: 3, backoff: '100ms' },
    });
    if (!result.ok) throw new Error(result.message);
    const [rule] = result.route.http;
    expect(result.route.parents).toEqual([{ namespace: 'shop', name: 'web' }]);
    expect(rule?.matches).toEqual([
      {
        path: { kind: { $case: 'exact', value: '/cart' } },
        headers: [{ name: 'x-user', value: { $case: 'regex', value: '^(?:a.*)$' } }],
        queryParams: [{ name: 'v', value: { $case: 'exact', value: '2' } }],
        method: { type: { $case: 'registered', value: 1 } },
      },
    ]);
    expect(rule?.filters).toEqual([
      { kind: { $case: 'requestHeaderModifier', value: { set: { headers: [{ name: 'x-route', value: Buffer.from('cart') }] }, remove: ['x-debug'] } } },
      { kind: { $case: 'responseHeaderModifier', value: { add: { headers: [{ name: 'x-served-by', value: Buffer.from('trellis') }] }, remove: [] } } },
    ]);
    expect(rule?.backends).toEqual([
      { namespace: 'shop', name: 'cart-v1', port: 8080, weight: 3, filters: [] },
      { namespace: 'beta', name: 'cart-v2', port: 8080, weight: 1, filters: [] },
    ]);
    expect(rule?.request).toEqual({ seconds: '10', nanos: 0 });
    expect(rule?.backendRequest).toEqual({ seconds: '2', nanos: 0 });
    expect(rule?.retry).toEqual({ ranges: [{ start: 503, end: 503 }, { start: 504, end: 504 }], attempts: 3, backoff: { seconds: '0', nanos: 100_000_000 } });
  });

  it('defaults a rule without matches to PathPrefix "/", and keeps only Service parents', () => {
    const result = translateRoute(
      'HTTPRoute',
      route('HTTPRoute', {
        parentRefs: [{ name: 'gw' }, { group: 'core', kind: 'Service', name: 'api', namespace: 'other', port: 8080 }],
        hostnames: ['*.example.com', 'Shop.Example.com'],
        rules: [{}],
      }),
    );
    if (!result.ok) throw new Error(result.message);
    expect(result.route.parents).toEqual([{ namespace: 'other', name: 'api', port: 8080 }]);
    expect(result.route.hosts).toEqual([
      { match: { $case: 'suffix', value: { reverseLabels: ['com', 'example'] } } },
      { match: { $case: 'exact', value: 'shop.example.com' } },
    ]);
    expect(result.route.http[0]?.matches).toEqual([{ path: { kind: { $case: 'prefix', value: '/' } }, headers: [], queryParams: [] }]);
  });

  it('translates redirects and URL rewrites, prefix replacement only under prefix matches', () => {
    const ok = http({
      matches: [{ path: { type: 'PathPrefix', value: '/old' } }],
      filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', hostname: 'new.example.com', path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/new' }, statusCode: 301 } }],
    });
    if (!ok.ok) throw new Error(ok.message);
    expect(ok.route.http[0]?.filters).toEqual([
      { kind: { $case: 'redirect', value: { scheme: { type: { $case: 'registered', value: 1 } }, host: 'new.example.com', path: { replace: { $case: 'prefix', value: '/new' } }, port: 0, status: 301 } } },
    ]);
    const rewrite = http({ filters: [{ type: 'URLRewrite', urlRewrite: { hostname: 'internal', path: { type: 'ReplaceFullPath', replaceFullPath: '/v2' } } }] });
    if (!rewrite.ok) throw new Error(rewrite.message);
    expect(rewrite.route.http[0]?.filters).toEqual([{ kind: { $case: 'urlRewrite', value: { hostname: 'internal', path: { replace: { $case: 'full', value: '/v2' } } } } }]);
  });

  it.each([
    ['a bad path regex', { matches: [{ path: { type: 'RegularExpression', value: '/(' } }] }, 'InvalidRegex', /spec\.rules\[0\]\.matches\[0\]\.path: invalid regular expression/],
    ['a bad header regex', { matches: [{ headers: [{ name: 'a', type: 'RegularExpression', value: '[' }] }] }, 'InvalidRegex', /headers\[0\]/],
    ['weights that sum to 0', { backendRefs: [{ name: 'a', weight: 0 }, { name: 'b', weight: 0 }] }, 'ZeroWeights', /sum to 0/],
    ['a mirror filter', { filters: [{ type: 'RequestMirror' }] }, 'UnsupportedValue', /RequestMirror is not supported/],
    ['a prefix rewrite under an exact match', { matches: [{ path: { type: 'Exact', value: '/a' } }], filters: [{ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch' } } }] }, 'UnsupportedValue', /ReplacePrefixMatch/],
    ['a backend that is not a Service', { backendRefs: [{ group: 'example.com', kind: 'Bucket', name: 'b' }] }, 'UnsupportedValue', /only Services/],
    ['a bad duration', { timeouts: { request: 'soon' } }, 'InvalidDuration', /timeouts\.request/],
    ['backendRequest longer than request', { timeouts: { request: '1s', backendRequest: '2s' } }, 'InvalidDuration', /longer than request/],
    ['an unknown match type', { matches: [{ path: { type: 'Glob', value: '/a*' } }] }, 'Malformed', /spec\.rules\.0\.matches\.0\.path\.type must be equal to one of the allowed values/],
    ['a path that is not absolute', { matches: [{ path: { value: 'a' } }] }, 'Malformed', /must start with "\/"/],
  ])('rejects %s', (_what, rule, reason, message) => {
    const result = http(rule);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.reason).toBe(reason);
    expect(result.message).toMatch(message);
  });

  it('rejects a malformed spec without throwing', () => {
    const result = translateRoute('HTTPRoute', route('HTTPRoute', { rules: 'all of them' }));
    expect(result).toMatchObject({ ok: false, reason: 'Malformed', message: 'spec.rules must be array' });
  });

  it('translates GRPCRoute method matches and refuses what the policy API cannot carry', () => {
    const ok = translateRoute('GRPCRoute', route('GRPCRoute', { rules: [{ matches: [{ method: { service: 'a.B' } }], filters: [{ type: 'RequestHeaderModifier', requestHeaderModifier: { remove: ['x'] } }] }] }));
    if (!ok.ok) throw new Error(ok.message);
    expect(ok.route.grpc[0]?.matches).toEqual([{ rpc: { service: 'a.B', method: '' }, headers: [] }]);
    expect(ok.route.grpc[0]?.filters).toEqual([{ kind: { $case: 'requestHeaderModifier', value: { remove: ['x'] } } }]);
    const regex = translateRoute('GRPCRoute', route('GRPCRoute', { rules: [{ matches: [{ method: { type: 'RegularExpression', service: 'a.*' } }] }] }));
    expect(regex).toMatchObject({ ok: false, reason: 'UnsupportedValue' });
    const response = translateRoute('GRPCRoute', route('GRPCRoute', { rules: [{ filters: [{ type: 'ResponseHeaderModifier' }] }] }));
    expect(response).toMatchObject({ ok: false, reason: 'UnsupportedValue' });
  });
});
