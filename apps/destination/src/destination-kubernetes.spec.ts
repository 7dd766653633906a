import { KubeConfig } from '@kubernetes/client-node';
import type { Informer, KubeObject, Source } from '@trellis/kube';
import { createKubernetesSource } from '@trellis/kube';
import { fakeKubeconfigYaml, startFakeKubeApi, waitFor } from '@trellis/testing';
import type { KubeObjectLike, World } from './testing/scenarios';
import { defineDestinationScenarios } from './testing/scenarios';

// Informer restarts in tests: quick, so a dropped watch is resumed well inside a test's wait.
const TEST_BACKOFF = { initialMs: 20, maxMs: 200 };

function informerOf(source: Source, kind: string): Informer<KubeObject> {
  const informers: Record<string, Informer<KubeObject>> = {
    Service: source.services,
    EndpointSlice: source.endpointSlices,
    Pod: source.pods,
    ServiceProfile: source.serviceProfiles,
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
