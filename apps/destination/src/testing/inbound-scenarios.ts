import type { inbound } from '@trellis/proto';
import { waitFor } from '@trellis/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Harness } from './destination-harness';
import { metricValue, startHarness } from './destination-harness';
import type { World } from './scenarios';

// policy.linkerd.io objects for the inbound scenarios, in namespace `shop`.
const NS = 'shop';
const meta = (name: string) => ({ name, namespace: NS });
const policyObject = (kind: string, name: string, spec: object) => ({
  apiVersion: kind === 'Server' ? 'policy.linkerd.io/v1beta3' : 'policy.linkerd.io/v1alpha1',
  kind,
  metadata: meta(name),
  spec,
});
const apiPod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { ...meta('api-0'), labels: { app: 'api' } },
  spec: { serviceAccountName: 'api', containers: [{ name: 'app', ports: [{ name: 'http', containerPort: 8080 }] }] },
  status: { podIP: '10.3.0.7', podIPs: [{ ip: '10.3.0.7' }] },
};
const server = policyObject('Server', 'api-http', { podSelector: { matchLabels: { app: 'api' } }, port: 8080, proxyProtocol: 'HTTP/2' });
const network = (cidr: string) => policyObject('NetworkAuthentication', 'lan', { networks: [{ cidr }] });
const authz = policyObject('AuthorizationPolicy', 'lan-to-api', {
  targetRef: { group: 'policy.linkerd.io', kind: 'Server', name: 'api-http' },
  requiredAuthenticationRefs: [
    { group: 'policy.linkerd.io', kind: 'NetworkAuthentication', name: 'lan' },
    { kind: 'ServiceAccount', name: 'web' },
  ],
});
const rateLimit = (server: string, requestsPerSecond: number) =>
  policyObject('HTTPLocalRateLimitPolicy', 'api-limit', { targetRef: { group: 'policy.linkerd.io', kind: 'Server', name: server }, total: { requestsPerSecond } });

const prefixOf = (m: inbound.Server | undefined) => m?.authorizations[0]?.networks[0]?.net?.prefixLen;
const invalid = (kind: string, reason: string) => `destination_policy_invalid_total{kind="${kind}",reason="${reason}"}`;

/** InboundServerPolicies through the real server and a grpc-js client, for either source. */
export function defineInboundScenarios(name: string, makeWorld: () => Promise<World>): void {
  describe(name, () => {
    let world: World;
    let h: Harness;

    beforeAll(async () => {
      world = await makeWorld();
      h = await startHarness(world.source);
    });

    afterAll(async () => {
      await h?.close();
      await world?.close();
    });

    it('serves the Server selecting a pod port, follows changes, rejects bad versions and keeps the last valid one', async () => {
      await world.apply(apiPod);
      const stream = h.watchPort(NS, 'api-0', 8080);
      expect((await stream.nth(1)).labels).toEqual({ group: '', kind: 'default', name: 'all-unauthenticated' });

      await world.apply(server);
      await world.apply(network('10.0.0.0/8'));
      await world.apply(authz);
      await world.apply(rateLimit('api-http', 100));
      const current = await waitFor(
        async () => {
          const m = await h.getPort(NS, 'api-0', 8080);
          return m.httpLocalRateLimit !== undefined && m.authorizations.length === 1 ? m : undefined;
        },
        { what: 'the Server, its authorization and rate limit applied', intervalMs: 25 },
      );
      expect(current.protocol?.kind?.$case).toBe('http2');
      expect(prefixOf(current)).toBe(8);
      expect(current.authorizations[0]?.authentication).toEqual({
        permit: { $case: 'meshTLS', value: { clients: { $case: 'identities', value: { identities: [{ name: 'web.shop.serviceaccount.identity.cluster.local' }], suffixes: [] } } } },
      });
      const seen = stream.messages.length;
      expect(stream.messages.at(-1)).toEqual(current);

      await world.apply(network('10.0.0.0/33'));
      await world.apply(rateLimit('missing', 5));
      await waitFor(
        async () => {
          const text = await h.metrics();
          return metricValue(text, invalid('NetworkAuthentication', 'InvalidCIDR')) === 1 && metricValue(text, invalid('HTTPLocalRateLimitPolicy', 'NoMatchingTarget')) === 1;
        },
        { what: 'both rejections counted once', intervalMs: 25 },
      );
      expect(await h.getPort(NS, 'api-0', 8080)).toEqual(current);
      expect(stream.messages).toHaveLength(seen);

      await world.apply(network('192.168.0.0/16'));
      expect(prefixOf(await stream.nth(seen + 1))).toBe(16);
    });
  });
}
