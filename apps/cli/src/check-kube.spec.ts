import { KubeConfig } from '@kubernetes/client-node';
import { fakeKubeconfigYaml, startFakeKubeApi, type FakeKubeApiServer } from '@trellis/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeChecks } from './check-kube';

const CRDS = { group: 'apiextensions.k8s.io', version: 'v1', plural: 'customresourcedefinitions', kind: 'CustomResourceDefinition', namespaced: false, builtin: true };

const deployment = (name: string, ready: number) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: 'trellis-system' },
  spec: { replicas: 2, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: `trellis/${name}:0.1.0` }] } } },
  status: { readyReplicas: ready },
});

const pod = (name: string, statuses: Record<string, unknown>) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'shop' },
  spec: { containers: [{ name: 'app', image: 'shop/web' }] },
  status: statuses,
});

const POLICY_CRDS_MISSING = [
  'authorizationpolicies.policy.linkerd.io',
  'meshtlsauthentications.policy.linkerd.io',
  'networkauthentications.policy.linkerd.io',
  'httplocalratelimitpolicies.policy.linkerd.io',
];

describe('trellis check --kube (against the fake API server)', () => {
  let api: FakeKubeApiServer;
  let kc: KubeConfig;
  beforeAll(async () => {
    api = await startFakeKubeApi({ resources: [CRDS] });
    kc = new KubeConfig();
    kc.loadFromString(fakeKubeconfigYaml(api.url));
    api.create({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'serviceprofiles.linkerd.io' }, spec: { group: 'linkerd.io', names: { kind: 'ServiceProfile', plural: 'serviceprofiles' }, scope: 'Namespaced', versions: [{ name: 'v1alpha2', served: true, storage: true }] } });
    api.create({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'servers.policy.linkerd.io' }, spec: { group: 'policy.linkerd.io', names: { kind: 'Server', plural: 'servers' }, scope: 'Namespaced', versions: [{ name: 'v1beta3', served: true, storage: true }] } });
    api.create(deployment('trellis-destination', 2));
    api.create(deployment('trellis-autoscaler', 0));
    api.create(pod('web-a', { initContainerStatuses: [{ name: 'trellis-proxy', ready: true, restartCount: 0, image: 'p', imageID: 'p' }] }));
    api.create(pod('web-b', { containerStatuses: [{ name: 'trellis-proxy', ready: false, restartCount: 0, image: 'p', imageID: 'p' }] }));
    api.create(pod('plain', { containerStatuses: [{ name: 'app', ready: true, restartCount: 0, image: 'p', imageID: 'p' }] }));
  });
  afterAll(() => api.close());

  it('reports each CRD, each control plane Deployment and the injected pods whose proxy is not ready', async () => {
    const results = await kubeChecks(kc);
    expect(results).toEqual([
      { name: 'CRD serviceprofiles.linkerd.io', ok: true, detail: 'versions v1alpha2' },
      { name: 'CRD servers.policy.linkerd.io', ok: true, detail: 'versions v1beta3' },
      ...POLICY_CRDS_MISSING.map((crd) => ({ name: `CRD ${crd}`, ok: false, detail: 'not found: kubectl apply -k deploy installs it' })),
      { name: 'deployment trellis-system/trellis-destination', ok: true, detail: '2/2 ready, image trellis/trellis-destination:0.1.0' },
      { name: 'deployment trellis-system/trellis-autoscaler', ok: false, detail: '0/2 ready, image trellis/trellis-autoscaler:0.1.0' },
      { name: 'deployment trellis-system/trellis-injector', ok: false, detail: 'not found' },
      { name: 'proxies ready', ok: false, detail: '1/2; not ready: shop/web-b' },
    ]);
  });
});
