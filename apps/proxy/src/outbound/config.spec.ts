import { describe, expect, it } from 'vitest';
import { ConfigError } from '../config/errors';
import { loadOutboundConfig } from './config';

describe('loadOutboundConfig', () => {
  it('has Linkerd defaults', () => {
    const c = loadOutboundConfig({ SERVING_POD: 'p' });
    expect(c).toMatchObject({
      listen: { host: '127.0.0.1', port: 4140 },
      destinationAddr: '127.0.0.1:8086',
      policyAddr: '127.0.0.1:8090',
      autoscalerAddr: undefined,
      clusterDomain: 'cluster.local',
      namespace: '',
      podName: 'p',
      balancer: 'peak-ewma',
      failFastMs: 3_000,
    });
  });

  it('reads every setting', () => {
    const c = loadOutboundConfig({
      TRELLIS_OUTBOUND_ADDR: '[::1]:0',
      TRELLIS_DESTINATION_ADDR: 'destination.trellis:8086',
      TRELLIS_POLICY_PORT: '9443',
      TRELLIS_AUTOSCALER_ADDR: '127.0.0.1:9999',
      TRELLIS_CLUSTER_DOMAIN: 'example.org.',
      SERVING_NAMESPACE: 'demo',
      TRELLIS_OUTBOUND_BALANCER: 'round-robin',
      TRELLIS_OUTBOUND_FAILFAST_MS: '500',
    });
    expect(c).toMatchObject({
      listen: { host: '::1', port: 0 },
      destinationAddr: 'destination.trellis:8086',
      policyAddr: 'destination.trellis:9443',
      autoscalerAddr: '127.0.0.1:9999',
      clusterDomain: 'example.org',
      namespace: 'demo',
      balancer: 'round-robin',
      failFastMs: 500,
    });
  });

  it('turns the outbound role, or only its OutboundPolicies client, off', () => {
    expect(loadOutboundConfig({ TRELLIS_OUTBOUND_ADDR: 'off' }).listen).toBeUndefined();
    expect(loadOutboundConfig({ TRELLIS_POLICY_PORT: 'off' }).policyAddr).toBeUndefined();
  });

  it.each([
    ['TRELLIS_OUTBOUND_ADDR', '4140'],
    ['TRELLIS_OUTBOUND_ADDR', '127.0.0.1:70000'],
    ['TRELLIS_DESTINATION_ADDR', '127.0.0.1:0'],
    ['TRELLIS_POLICY_PORT', '0'],
    ['TRELLIS_POLICY_PORT', 'policy:8090'],
    ['TRELLIS_AUTOSCALER_ADDR', 'http://autoscaler:8080'],
    ['TRELLIS_CLUSTER_DOMAIN', 'bad_domain'],
    ['TRELLIS_OUTBOUND_BALANCER', 'fastest'],
    ['TRELLIS_OUTBOUND_FAILFAST_MS', '0'],
  ])('rejects %s=%s naming the variable', (name, value) => {
    expect(() => loadOutboundConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadOutboundConfig({ [name]: value })).toThrow(name);
  });
});
