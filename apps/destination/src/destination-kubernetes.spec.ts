import { KubeConfig } from '@kubernetes/client-node';
import type { Informer, KubeObject, Source } from '@trellis/kube';
import { createKubernetesSource } from '@trellis/kube';
import { fakeKubeconfigYaml, startFakeKubeApi, waitFor } from '@trellis/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Harness } from './testing/destination-harness';
import { addrsOf, startHarness } from './testing/destination-harness';
import { routeObject, serviceObject, sliceObject } from './testing/manifests';
import type { KubeObjectLike, World } from './testing/scenarios';
import { defineDestinationScenarios } from './testing/scenarios';
import { defineInboundScenarios } from './testing/inbound-scenarios';
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
    ...(source.linkerdPolicy
      ? {
          Server: source.linkerdPolicy.servers,
          AuthorizationPolicy: source.linkerdPolicy.authorizationPolicies,
          MeshTLSAuthentication: source.linkerdPolicy.meshTLSAuthentications,
          NetworkAuthentication: source.linkerdPolicy.networkAuthentications,
          HTTPLocalRateLimitPolicy: source.linkerdPolicy.httpLocalRateLimitPolicies,
        }
      : {}),
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
      // At least that version: the destination may already have written the object's status (routes) after it.
      const version = Number(stored.metadata.resourceVersion);
      await waitFor(() => Number(cached(obj)?.metadata.resourceVersion) >= version, { what: `${obj.kind} ${obj.metadata.name} in the cache` });
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
defineInboundScenarios('InboundServerPolicies on the kubernetes source (fake API server)', kubernetesWorld);

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
    // Enough 410s that the EndpointSlice watch gets one even when the six other kinds' watches, still
    // reconnecting from the first drop, take theirs first (each kind can take two: its watch and the one after its relist).
    fake.expireNextWatches(30);
    fake.dropWatches();
    fake.apply(sliceObject('web-1', 'resume', 'web', [{ ip: '10.7.0.2' }]) as never);
    const removed = await stream.nth(3);
    expect(removed.update?.$case).toBe('remove');
    expect(addrsOf(removed)).toEqual(['10.7.0.1:8080']);
    expect(source.stats().EndpointSlice.lists).toBeGreaterThan(listsBefore);
  });
});

describe('route status on the kubernetes source (fake API server)', () => {
  let fake: Awaited<ReturnType<typeof startFakeKubeApi>>;
  let source: Source;
  let h: Harness;
  type Status = { parents?: { controllerName: string; parentRef: { name: string }; conditions: { type: string; status: string; reason: string }[] }[] };
  const statusOf = (name: string) => (fake.get({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', namespace: 'status', name }) as { status?: Status } | undefined)?.status;
  const accepted = (name: string) =>
    statusOf(name)
      ?.parents?.filter((p) => p.controllerName === 'trellis.io/destination')
      .map((p) => `${p.parentRef.name} ${p.conditions[0]?.status} ${p.conditions[0]?.reason}`);

  beforeAll(async () => {
    fake = await startFakeKubeApi({ token: 'destination-test' });
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromString(fakeKubeconfigYaml(fake.url, 'destination-test'));
    fake.apply(serviceObject('web', 'status') as never);
    const gatewayEntry = { parentRef: { name: 'edge' }, controllerName: 'example.com/gateway', conditions: [] };
    fake.apply({ ...routeObject('HTTPRoute', 'good', 'status', { name: 'web' }, [{}]), status: { parents: [gatewayEntry] } } as never);
    fake.apply(routeObject('HTTPRoute', 'regex', 'status', { name: 'web' }, [{ matches: [{ path: { type: 'RegularExpression', value: '(' } }] }]) as never);
    fake.apply(routeObject('HTTPRoute', 'orphan', 'status', { name: 'later' }, [{}]) as never);
    source = createKubernetesSource({ kubeConfig, backoff: TEST_BACKOFF });
    h = await startHarness(source, { writeRouteStatus: true });
  });

  afterAll(async () => {
    await h?.close();
    await source?.close();
    await fake?.close();
  });

  it('writes Accepted per Service parent, keeps other controllers entries, and follows the parent Service', async () => {
    await waitFor(() => accepted('good')?.join() === 'web True Accepted', { what: 'good route accepted in status' });
    expect(statusOf('good')?.parents?.map((p) => p.controllerName)).toEqual(['example.com/gateway', 'trellis.io/destination']);
    await waitFor(() => accepted('regex')?.join() === 'web False InvalidRegex', { what: 'bad regex rejected in status' });
    await waitFor(() => accepted('orphan')?.join() === 'later False NoMatchingParent', { what: 'missing parent in status' });

    fake.apply(serviceObject('later', 'status') as never);
    await waitFor(() => accepted('orphan')?.join() === 'later True Accepted', { what: 'parent appeared' });
    // Watch events of one kind arrive in order: once the source holds orphan's last status, the echo of every
    // earlier status write has been handled, and none of them was written again.
    const cachedStatus = () => JSON.stringify((source.httpRoutes.get('status', 'orphan')?.status as Status | undefined)?.parents);
    await waitFor(() => cachedStatus().includes('"reason":"Accepted"'), { what: 'orphan status back in the cache' });
    const patches = (name: string) => fake.requests({ method: 'PATCH', path: new RegExp(`/httproutes/${name}/status$`) }).length;
    expect([patches('good'), patches('regex'), patches('orphan')]).toEqual([1, 1, 2]);
  });
});
