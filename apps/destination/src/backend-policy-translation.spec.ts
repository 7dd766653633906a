import type { BackendPolicy } from '@trellis/proto';
import { describe, expect, it } from 'vitest';
import { backendPolicyAnnotations, translateBackendPolicy } from './backend-policy-translation';

const seconds = (s: number, nanos = 0) => ({ seconds: String(s), nanos });

/** What a Service with any backend-policy annotation but no other value gets: Envoy's defaults. */
const DEFAULTS: BackendPolicy = {
  balancer: '',
  outlierDetection: {
    consecutive5xx: 5,
    consecutiveGatewayErrors: 0,
    interval: seconds(10),
    baseEjectionTime: seconds(30),
    maxEjectionTime: seconds(300),
    maxEjectionPercent: 10,
  },
  circuitBreakers: { maxConnections: 1024, maxPendingRequests: 1024, maxRequests: 1024, maxRetries: 3 },
};

function withOutlier(fields: Partial<NonNullable<BackendPolicy['outlierDetection']>>): BackendPolicy {
  return { ...DEFAULTS, outlierDetection: { ...DEFAULTS.outlierDetection!, ...fields } };
}

function withBreakers(fields: Partial<NonNullable<BackendPolicy['circuitBreakers']>>): BackendPolicy {
  return { ...DEFAULTS, circuitBreakers: { ...DEFAULTS.circuitBreakers!, ...fields } };
}

describe('translateBackendPolicy', () => {
  it.each([
    ['no annotations at all', undefined],
    ['none of ours', { 'linkerd.io/inject': 'enabled', 'trellis.io/proxy': 'enabled' }],
  ])('%s: no policy, no problem', (_title, annotations) => {
    expect(translateBackendPolicy(annotations)).toEqual({ policy: undefined, problems: [] });
  });

  it.each<[string, Record<string, string>, BackendPolicy]>([
    ['algorithm only', { 'balancer.trellis.io/algorithm': 'least-request' }, { ...DEFAULTS, balancer: 'least-request' }],
    [
      'ring hash on a header (name lower-cased)',
      { 'balancer.trellis.io/algorithm': 'ring-hash', 'balancer.trellis.io/hash-key': 'header:X-User' },
      { ...DEFAULTS, balancer: 'ring-hash', hashKey: { source: { $case: 'header', value: 'x-user' } } },
    ],
    [
      'maglev on a cookie (name kept as written)',
      { 'balancer.trellis.io/algorithm': 'maglev', 'balancer.trellis.io/hash-key': 'cookie:SessionID' },
      { ...DEFAULTS, balancer: 'maglev', hashKey: { source: { $case: 'cookie', value: 'SessionID' } } },
    ],
    ['source IP key, proxy default balancer', { 'balancer.trellis.io/hash-key': 'source-ip' }, { ...DEFAULTS, hashKey: { source: { $case: 'sourceIp', value: true } } }],
    ['consecutive 5xx off', { 'outlier.trellis.io/consecutive-5xx': '0' }, withOutlier({ consecutive5xx: 0 })],
    ['gateway errors on', { 'outlier.trellis.io/consecutive-gateway-errors': '3' }, withOutlier({ consecutiveGatewayErrors: 3 })],
    ['interval', { 'outlier.trellis.io/interval': '1.5s' }, withOutlier({ interval: seconds(1, 500_000_000) })],
    ['base ejection below the default max', { 'outlier.trellis.io/base-ejection-time': '1m' }, withOutlier({ baseEjectionTime: seconds(60) })],
    [
      'base ejection above the default max raises the max (Envoy)',
      { 'outlier.trellis.io/base-ejection-time': '10m' },
      withOutlier({ baseEjectionTime: seconds(600), maxEjectionTime: seconds(600) }),
    ],
    ['max ejection', { 'outlier.trellis.io/max-ejection-time': '1h' }, withOutlier({ maxEjectionTime: seconds(3600) })],
    ['max ejection percent 100', { 'outlier.trellis.io/max-ejection-percent': '100' }, withOutlier({ maxEjectionPercent: 100 })],
    ['max ejection percent 0', { 'outlier.trellis.io/max-ejection-percent': '0' }, withOutlier({ maxEjectionPercent: 0 })],
    [
      'every circuit breaker',
      {
        'circuit-breaker.trellis.io/max-connections': '1',
        'circuit-breaker.trellis.io/max-pending-requests': '2',
        'circuit-breaker.trellis.io/max-requests': '4294967295',
        'circuit-breaker.trellis.io/max-retries': '07',
      },
      withBreakers({ maxConnections: 1, maxPendingRequests: 2, maxRequests: 4_294_967_295, maxRetries: 7 }),
    ],
  ])('%s', (_title, annotations, policy) => {
    expect(translateBackendPolicy({ 'app.kubernetes.io/name': 'x', ...annotations })).toEqual({ policy, problems: [] });
  });

  it.each<[string, string, unknown, RegExp]>([
    ['unknown algorithm', 'balancer.trellis.io/algorithm', 'fastest', /unknown algorithm "fastest"; expected one of peak-ewma, least-request/],
    ['algorithm in capitals', 'balancer.trellis.io/algorithm', 'Maglev', /unknown algorithm "Maglev"/],
    ['hash key without a kind', 'balancer.trellis.io/hash-key', 'x-user', /malformed hash key "x-user"; expected header:<name>, cookie:<name> or source-ip/],
    ['empty header name', 'balancer.trellis.io/hash-key', 'header:', /"" is not a valid header name/],
    ['header name with a space', 'balancer.trellis.io/hash-key', 'header:x user', /"x user" is not a valid header name/],
    ['pseudo-header', 'balancer.trellis.io/hash-key', 'header::authority', /":authority" is not a valid header name/],
    ['cookie name with "="', 'balancer.trellis.io/hash-key', 'cookie:a=b', /"a=b" is not a valid cookie name/],
    ['oversized value', 'balancer.trellis.io/hash-key', `header:${'h'.repeat(250)}`, /^the value is longer than 256 characters$/],
    ['negative count', 'outlier.trellis.io/consecutive-5xx', '-1', /"-1" is not a non-negative integer/],
    ['fractional count', 'outlier.trellis.io/consecutive-gateway-errors', '2.5', /"2.5" is not a non-negative integer/],
    ['empty count', 'outlier.trellis.io/consecutive-5xx', '', /"" is not a non-negative integer/],
    ['count beyond uint32', 'outlier.trellis.io/consecutive-5xx', '4294967296', /4294967296 is not between 0 and 4294967295/],
    ['number of 30 digits', 'circuit-breaker.trellis.io/max-requests', '9'.repeat(30), /^9{30} is not between 1 and 4294967295$/],
    ['bad duration', 'outlier.trellis.io/interval', 'soon', /invalid duration "soon"/],
    ['duration without unit', 'outlier.trellis.io/interval', '10', /invalid duration "10"/],
    ['negative duration', 'outlier.trellis.io/base-ejection-time', '-5s', /duration "-5s" must be positive/],
    ['zero duration', 'outlier.trellis.io/max-ejection-time', '0s', /duration "0s" must be positive/],
    ['max shorter than base', 'outlier.trellis.io/max-ejection-time', '10s', /shorter than the base ejection time \(30000 ms\)/],
    ['percent over 100', 'outlier.trellis.io/max-ejection-percent', '101', /101 is not between 0 and 100/],
    ['zero connections', 'circuit-breaker.trellis.io/max-connections', '0', /0 is not between 1 and 4294967295/],
    ['not a string (unquoted YAML number)', 'circuit-breaker.trellis.io/max-retries', 5, /must be a string/],
  ])('%s: ignored with a reason, the default applies', (_title, annotation, value, reason) => {
    const { policy, problems } = translateBackendPolicy({ [annotation]: value });
    expect(policy).toEqual(DEFAULTS);
    expect(problems).toEqual([{ annotation, reason: expect.stringMatching(reason) }]);
  });

  it('keeps the good annotations when another is bad, and reports each bad one', () => {
    const { policy, problems } = translateBackendPolicy({
      'balancer.trellis.io/algorithm': 'ring-hash',
      'balancer.trellis.io/hash-key': 'header:',
      'outlier.trellis.io/max-ejection-percent': '50',
      'circuit-breaker.trellis.io/max-retries': 'many',
    });
    expect(policy).toEqual({ ...withOutlier({ maxEjectionPercent: 50 }), balancer: 'ring-hash' });
    expect(problems.map((p) => p.annotation).sort()).toEqual(['balancer.trellis.io/hash-key', 'circuit-breaker.trellis.io/max-retries']);
  });

  it('reports an unknown name under our prefixes; alone it sends no policy', () => {
    expect(translateBackendPolicy({ 'outlier.trellis.io/consecutive5xx': '3' })).toEqual({
      policy: undefined,
      problems: [{ annotation: 'outlier.trellis.io/consecutive5xx', reason: expect.stringMatching(/^unknown annotation; known: balancer.trellis.io\/algorithm/) }],
    });
    const beside = translateBackendPolicy({ 'outlier.trellis.io/consecutive5xx': '3', 'balancer.trellis.io/algorithm': 'random' });
    expect(beside.policy).toEqual({ ...DEFAULTS, balancer: 'random' });
    expect(beside.problems).toHaveLength(1);
  });
});

describe('backendPolicyAnnotations', () => {
  it('keeps only our prefixes, sorted by name', () => {
    expect(
      backendPolicyAnnotations({
        'outlier.trellis.io/interval': '5s',
        'trellis.io/proxy': 'enabled',
        'balancer.trellis.io/algorithm': 'maglev',
        'circuit-breaker.trellis.io/max-retries': '2',
        'linkerd.io/balancer': 'x',
      }),
    ).toEqual([
      ['balancer.trellis.io/algorithm', 'maglev'],
      ['circuit-breaker.trellis.io/max-retries', '2'],
      ['outlier.trellis.io/interval', '5s'],
    ]);
  });
});
