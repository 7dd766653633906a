import { status } from '@grpc/grpc-js';
import { inbound } from '@trellis/proto';
import { waitFor } from '@trellis/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemorySource } from './memory-source';
import type { Harness } from './testing/destination-harness';
import { metricValue, stalledCall, startHarness } from './testing/destination-harness';

// Queue limit: small, so a WatchPort client that stops reading overflows after a few changes.
const TINY_QUEUE_LIMIT = 4;
// About 12 KiB per Server message (200 identities of ~50 bytes): the HTTP/2 window fills in a few versions.
const IDENTITIES = 200;
const MAX_OVERFLOW_VERSIONS = 120;
const SERVICE = 'io.linkerd.proxy.inbound.InboundServerPolicies';

const memory = createMemorySource();
let h: Harness;

const policy = (kind: string, name: string, spec: object) => ({
  apiVersion: kind === 'Server' ? 'policy.linkerd.io/v1beta3' : 'policy.linkerd.io/v1alpha1',
  kind,
  metadata: { name, namespace: 'shop' },
  spec,
});
const identities = (version: number) =>
  policy('MeshTLSAuthentication', 'clients', { identities: Array.from({ length: IDENTITIES }, (_, i) => `client-${i}-v${version}.shop.serviceaccount.identity.cluster.local`) });

beforeAll(async () => {
  memory.put({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'api-0', namespace: 'shop', labels: { app: 'api' } } });
  memory.put(policy('Server', 'api-http', { podSelector: { matchLabels: { app: 'api' } }, port: 8080 }));
  memory.put(identities(1));
  memory.put(
    policy('AuthorizationPolicy', 'clients', {
      targetRef: { group: 'policy.linkerd.io', kind: 'Server', name: 'api-http' },
      requiredAuthenticationRefs: [{ group: 'policy.linkerd.io', kind: 'MeshTLSAuthentication', name: 'clients' }],
    }),
  );
  h = await startHarness(memory.source, { streamQueueLimit: TINY_QUEUE_LIMIT });
});

afterAll(async () => {
  await h?.close();
});

describe('InboundServerPolicies.WatchPort streams', () => {
  it('send the same Server to every stream of a pod port, and GetPort answers the same', async () => {
    const a = h.watchPort('shop', 'api-0', 8080);
    const b = h.watchPort('shop', 'api-0', 8080);
    const [first, second] = await Promise.all([a.nth(1), b.nth(1)]);
    expect(second).toEqual(first);
    expect(await h.getPort('shop', 'api-0', 8080)).toEqual(first);
    expect(first.authorizations).toHaveLength(1);
    a.cancel();
    b.cancel();
  });

  it('a stream that stops reading is closed with RESOURCE_EXHAUSTED and counted; the others are not held up', async () => {
    const request = inbound.PortSpec.encode({ workload: JSON.stringify({ ns: 'shop', pod: 'api-0' }), port: 8080 }).finish();
    const stalled = stalledCall(h.destination.policyPort, 'WatchPort', request, SERVICE);
    const reader = h.watchPort('shop', 'api-0', 8080);
    await reader.nth(1);
    const series = 'destination_stream_overflows_total{method="inbound_watch"}';
    try {
      let version = 2;
      for (; version < MAX_OVERFLOW_VERSIONS && metricValue(await h.metrics(), series) === 0; version += 1) {
        memory.put(identities(version));
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(metricValue(await h.metrics(), series)).toBe(1);
      const trailers = await stalled.resume();
      expect(Number(trailers['grpc-status'])).toBe(status.RESOURCE_EXHAUSTED);
      expect(decodeURIComponent(String(trailers['grpc-message']))).toMatch(/more than 4 messages behind/);
      const last = `client-0-v${version - 1}.shop.serviceaccount.identity.cluster.local`;
      const names = (m: inbound.Server | undefined) => {
        const permit = m?.authorizations[0]?.authentication?.permit;
        return permit?.$case === 'meshTLS' && permit.value.clients?.$case === 'identities' ? permit.value.clients.value.identities.map((i) => i.name) : [];
      };
      await waitFor(() => names(reader.messages.at(-1)).includes(last), { what: 'the reading stream at the latest version' });
      expect(reader.error).toBeUndefined();
    } finally {
      stalled.close();
      reader.cancel();
    }
  });
});
