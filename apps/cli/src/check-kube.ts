import { ApiextensionsV1Api, AppsV1Api, CoreV1Api, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import type { CheckResult } from './check-result';

/** The CRDs Trellis reads (deploy/crds). */
export const TRELLIS_CRDS = [
  'serviceprofiles.linkerd.io',
  'servers.policy.linkerd.io',
  'authorizationpolicies.policy.linkerd.io',
  'meshtlsauthentications.policy.linkerd.io',
  'networkauthentications.policy.linkerd.io',
  'httplocalratelimitpolicies.policy.linkerd.io',
];
/** The control plane Deployments of deploy/control-plane, in their namespace. */
export const CONTROL_PLANE_NAMESPACE = 'trellis-system';
export const CONTROL_PLANE_DEPLOYMENTS = ['trellis-destination', 'trellis-autoscaler', 'trellis-injector'];
const PROXY_CONTAINER = 'trellis-proxy';

function reason(err: unknown): string {
  const code = (err as { code?: number }).code;
  return code === 404 ? 'not found' : (err as Error).message.split('\n')[0] ?? String(err);
}

function proxyReady(pod: V1Pod): boolean | undefined {
  const statuses = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])];
  const proxy = statuses.find((s) => s.name === PROXY_CONTAINER);
  return proxy === undefined ? undefined : proxy.ready;
}

/** What the API server says: CRDs present, control plane Deployments ready, injected pods' proxies ready. */
export async function kubeChecks(kc: KubeConfig): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const crds = kc.makeApiClient(ApiextensionsV1Api);
  for (const name of TRELLIS_CRDS) {
    try {
      const crd = await crds.readCustomResourceDefinition({ name });
      results.push({ name: `CRD ${name}`, ok: true, detail: `versions ${crd.spec.versions.map((v) => v.name).join(', ')}` });
    } catch (err) {
      results.push({ name: `CRD ${name}`, ok: false, detail: `${reason(err)}: kubectl apply -k deploy installs it` });
    }
  }
  const apps = kc.makeApiClient(AppsV1Api);
  for (const name of CONTROL_PLANE_DEPLOYMENTS) {
    try {
      const d = await apps.readNamespacedDeployment({ name, namespace: CONTROL_PLANE_NAMESPACE });
      const ready = d.status?.readyReplicas ?? 0;
      const image = d.spec?.template.spec?.containers[0]?.image ?? '?';
      results.push({ name: `deployment ${CONTROL_PLANE_NAMESPACE}/${name}`, ok: ready > 0, detail: `${ready}/${d.spec?.replicas ?? 1} ready, image ${image}` });
    } catch (err) {
      results.push({ name: `deployment ${CONTROL_PLANE_NAMESPACE}/${name}`, ok: false, detail: reason(err) });
    }
  }
  try {
    const pods = (await kc.makeApiClient(CoreV1Api).listPodForAllNamespaces()).items;
    const meshed = pods.map((p) => ({ p, ready: proxyReady(p) })).filter((x) => x.ready !== undefined);
    const notReady = meshed.filter((x) => !x.ready).map((x) => `${x.p.metadata?.namespace}/${x.p.metadata?.name}`);
    results.push({
      name: 'proxies ready',
      ok: notReady.length === 0,
      detail: `${meshed.length - notReady.length}/${meshed.length}${notReady.length ? `; not ready: ${notReady.slice(0, 10).join(', ')}` : ''}`,
    });
  } catch (err) {
    results.push({ name: 'proxies ready', ok: false, detail: `cannot list pods: ${reason(err)}` });
  }
  return results;
}

export function loadKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromDefault();
  return kc;
}
