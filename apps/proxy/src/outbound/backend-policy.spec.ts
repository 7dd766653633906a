import { DEFAULT_CONSECUTIVE_5XX } from '@trellis/balance';
import { describe, expect, it } from 'vitest';
import { compileBackendPolicy, DEFAULT_BREAKER_LIMITS, DEFAULT_OUTLIER } from './backend-policy';
import type { Exchange } from './exchange';

function exchange(headers: Record<string, string>, remoteAddress = '10.1.2.3'): Exchange {
  return { header: (name: string) => headers[name], remoteAddress } as unknown as Exchange;
}

describe('compileBackendPolicy', () => {
  it('uses the proxy default balancer and Envoy defaults without a policy', () => {
    const p = compileBackendPolicy(undefined, 'peak-ewma');
    expect(p).toMatchObject({ balancer: 'peak-ewma', hashKey: undefined, breakers: DEFAULT_BREAKER_LIMITS, outlier: DEFAULT_OUTLIER, problems: [] });
    expect(p.outlier.consecutive5xx).toBe(DEFAULT_CONSECUTIVE_5XX);
  });

  it('takes every setting of a full policy', () => {
    const p = compileBackendPolicy(
      {
        balancer: 'maglev',
        hashKey: { source: { $case: 'cookie', value: 'session' } },
        outlierDetection: {
          consecutive5xx: 0,
          consecutiveGatewayErrors: 2,
          interval: { seconds: '5', nanos: 0 },
          baseEjectionTime: { seconds: '1', nanos: 500_000_000 },
          maxEjectionTime: { seconds: '60', nanos: 0 },
          maxEjectionPercent: 30,
        },
        circuitBreakers: { maxConnections: 10, maxPendingRequests: 20, maxRequests: 30, maxRetries: 4 },
      },
      'peak-ewma',
    );
    expect(p).toMatchObject({
      balancer: 'maglev',
      hashKey: { kind: 'cookie', name: 'session' },
      outlier: { consecutive5xx: 0, consecutiveGatewayErrors: 2, intervalMs: 5_000, baseEjectionMs: 1_500, maxEjectionMs: 60_000, maxEjectionPercent: 30 },
      breakers: { connections: 10, pending: 20, requests: 30, retries: 4 },
      problems: [],
    });
    expect(p.keyOf?.(exchange({ cookie: 'a=1; session=abc; b=2' }))).toBe('abc');
  });

  it('keeps the default for an unknown balancer or a malformed key name, and says why', () => {
    const p = compileBackendPolicy({ balancer: 'fastest', hashKey: { source: { $case: 'header', value: 'bad header' } } }, 'round-robin');
    expect(p.balancer).toBe('round-robin');
    expect(p.hashKey).toBeUndefined();
    expect(p.problems).toEqual([expect.stringContaining('unknown balancer "fastest"'), expect.stringContaining('is not a token')]);
  });

  it.each([
    [{ $case: 'header' as const, value: 'X-User' }, exchange({ 'x-user': 'u1' }), 'u1'],
    [{ $case: 'sourceIp' as const, value: true }, exchange({}, '192.0.2.7'), '192.0.2.7'],
    [{ $case: 'cookie' as const, value: 'sid' }, exchange({}), undefined],
  ])('reads the key %j of a request', (source, ex, key) => {
    expect(compileBackendPolicy({ balancer: 'ring-hash', hashKey: { source } }, 'peak-ewma').keyOf?.(ex)).toBe(key);
  });
});
