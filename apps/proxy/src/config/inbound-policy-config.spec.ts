import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors';
import { loadInboundConfig } from './inbound-config';

describe('inbound policy settings', () => {
  it('defaults to all-unauthenticated, no policy server, no audit, no access log', () => {
    const config = loadInboundConfig({ SERVING_NAMESPACE: 'shop', SERVING_POD: 'web-1' }, 'h');
    expect(config.policy.addr).toBeUndefined();
    expect(config.policy.fallback.server.name).toBe('all-unauthenticated');
    expect(config.policy.fallback.rateLimit).toBeUndefined();
    expect(config.policy.audit).toBe(false);
    expect(config.policy.workload).toBe('{"ns":"shop","pod":"web-1"}');
    expect(config.accessLog).toBe(false);
  });

  it('reads the policy server, default policy, cluster networks, static rate limit, audit and access log', () => {
    const config = loadInboundConfig(
      {
        TRELLIS_POLICY_ADDR: 'destination.trellis:8090',
        TRELLIS_DEFAULT_INBOUND_POLICY: 'cluster-authenticated',
        TRELLIS_CLUSTER_NETWORKS: '10.0.0.0/8, fd00::/8',
        TRELLIS_INBOUND_RATE_LIMIT: '{"total":{"requestsPerSecond":100},"identity":{"requestsPerSecond":10}}',
        TRELLIS_INBOUND_POLICY_AUDIT: 'true',
        TRELLIS_ACCESS_LOG: '1',
      },
      'h',
    );
    expect(config.policy.addr).toBe('destination.trellis:8090');
    expect(config.policy.fallback.server.name).toBe('cluster-authenticated');
    expect(config.policy.fallback.routes[0]?.authorizations[0]?.networks).toHaveLength(2);
    expect(config.policy.fallback.rateLimit).toMatchObject({ totalRps: 100, identityRps: 10 });
    expect(config.policy.audit).toBe(true);
    expect(config.accessLog).toBe(true);
  });

  it.each([
    ['TRELLIS_CLUSTER_NETWORKS', '10.0.0.0/33', /TRELLIS_CLUSTER_NETWORKS: "10.0.0.0\/33": prefix length must be 0-32/],
    ['TRELLIS_CLUSTER_NETWORKS', '10.0.0/8', /TRELLIS_CLUSTER_NETWORKS: .*is not a CIDR/],
    ['TRELLIS_DEFAULT_INBOUND_POLICY', 'allow-all', /TRELLIS_DEFAULT_INBOUND_POLICY: "allow-all" is not one of all-unauthenticated/],
    ['TRELLIS_INBOUND_RATE_LIMIT', '{"total":{"requestsPerSecond":-5}}', /TRELLIS_INBOUND_RATE_LIMIT: total: requests per second must be a whole number > 0, got -5/],
    ['TRELLIS_INBOUND_RATE_LIMIT', '{"total":{"requestsPerSecond":5},"identity":{"requestsPerSecond":6}}', /above the total/],
    ['TRELLIS_POLICY_ADDR', 'no-port', /TRELLIS_POLICY_ADDR: "no-port" is not host:port/],
    ['TRELLIS_INBOUND_POLICY_AUDIT', 'maybe', /TRELLIS_INBOUND_POLICY_AUDIT/],
    ['TRELLIS_ACCESS_LOG', 'yes please', /TRELLIS_ACCESS_LOG/],
  ])('refuses %s=%s with a message naming it', (name, value, message) => {
    expect(() => loadInboundConfig({ [name]: value }, 'h')).toThrow(ConfigError);
    expect(() => loadInboundConfig({ [name]: value }, 'h')).toThrow(message);
  });
});
