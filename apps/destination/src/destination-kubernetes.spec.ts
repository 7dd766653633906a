import { KubeConfig } from '@kubernetes/client-node';
import type { Informer, KubeObject, Source } from '@trellis/kube';
import { createKubernetesSource } from '@trellis/kube';
import { fakeKubeconfigYaml, startFakeKubeApi, waitFor } from '@trellis/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Harness } from './testing/destination-harness';
import { addrsOf, startHarness } from './testing/destination-harness';
import { serviceObject, sliceObject } from './testing/manifests';
import type { KubeObjectLike, World } from './testing/scenarios';
import { defineDestinationScenarios } from './testing/scenarios';
import { definePolicyScenarios } from './testing/policy-scenarios';

// Informer restarts in tests: quick, so a dropped watch is resumed well inside a test's wait.
const TEST_BACKOFF = { initialMs: 20, maxMs: 200 };

function informerOf(source: Source, kind: string): Informer<KubeObject> {
  const informers: Record<string, Informer<KubeObject>> = {
    Service: source.services,
    EndpointSlice: source.endpointSlices,
    Pod: source.pods,
    ServiceProfile: source.serviceProfiles,
    HTTPRoute: source.httpRoutes,
    GRPCRoute: source.grpcRoutes,
  };
  const informer = informers[kind];
  if (!informer) throw new Error(`no informer for ${kind}`);
  return informer;
}

/** The fake API server driven through the real @kubernetes/client-node; each change is awaited in the cache. */
async function kubernetesWorld(): Promise<World> {
  const fake = await startFakeKubeApi({ token: 'destination-test' });
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(fakeKubeconfigYaml(fake.url, 'destination-test'));
  const source = createKubernetesSource({ kubeConfig, backoff: TEST_BACKOFF });
  const cached = (obj: KubeObjectLike) => informerOf(source, obj.kind).get(obj.metadata.namespace, obj.metadata.name);
  return {
    source,
    apply: async (obj) => {
      const stored = fake.apply(structuredClone(obj) as never) as KubeObject;
      await waitFor(() => cached(obj)?.metadata.resourceVersion === stored.metadata.resourceVersion, { what: `${obj.kind} ${obj.metadata.name} in the cache` });
    },
    remove: async (obj) => {
      fake.remove({ apiVersion: obj.apiVersion, kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name });
      await waitFor(() => cached(obj) === undefined, { what: `${obj.kind} ${obj.metadata.name} gone from the cache` });
    },
    close: async () => {
      await source.close();
      await fake.close();
    },
  };
}

defineDestinationScenarios('destination on the kubernetes source (fake API server)', kubernetesWorld);
definePolicyScenarios('OutboundPolicies on the kubernetes source (fake API server)', kubernetesWorld);

describe('destination on the kubernetes source when watches fail', () => {
  let fake: Awaited<ReturnType<typeof startFakeKubeApi>>;
  let source: Source;
  let h: Harness;

  beforeAll(async () => {
    fake = await startFakeKubeApi({ token: 'destination-test' });
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromString(fakeKubeconfigYaml(fake.url, 'destination-test'));
    fake.apply(serviceObject('web', 'resume') as never);
    fake.apply(sliceObject('web-1', 'resume', 'web', [{ ip: '10.7.0.1' }]) as never);
    source = createKubernetesSource({ kubeConfig, backoff: TEST_BACKOFF });
    h = await startHarness(source);
  });

  afterAll(async () => {
    await h?.close();
    await source?.close();
    await fake?.close();
  });

  it('keeps streaming diffs across dropped watches and a 410 Gone relist', async () => {
    const stream = h.get('web.resume.svc.cluster.local:80');
    expect(addrsOf(await stream.nth(1))).toEqual(['10.7.0.1:8080']);
    const listsBefore = source.stats().EndpointSlice.lists;

    fake.dropWatches();
    fake.apply(sliceObject('web-1', 'resume', 'web', [{ ip: '10.7.0.1' }, { ip: '10.7.0.2' }]) as never);
    expect(addrsOf(await stream.nth(2))).toEqual(['10.7.0.2:8080']);

    fake.compact();
    fake.expireNextWatches(10);
    fake.dropWatches();
    fake.apply(sliceObject('web-1', 'resume', 'web', [{ ip: '10.7.0.2' }]) as never);
    const removed = await stream.nth(3);
    expect(removed.update?.$case).toBe('remove');
    expect(addrsOf(removed)).toEqual(['10.7.0.1:8080']);
    expect(source.stats().EndpointSlice.lists).toBeGreaterThan(listsBefore);
  });
});
