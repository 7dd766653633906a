// Type-only imports: @trellis/kube's runtime loads @kubernetes/client-node, which the CLI does not want at start-up.
import type { Deployment, EndpointSlice, Pod, Service } from '@trellis/kube';
import type { MetricSource } from './scrape';

// Kubernetes' label naming a slice's Service; the name injection gives the proxy container (libs/inject) and the
// annotation that marks a pod as meshed (the destination's, docs/destination.md; local mode's pods carry only it).
const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
const PROXY_CONTAINER_NAME = 'trellis-proxy';
const PROXY_ANNOTATION = 'trellis.io/proxy';
const PROXY_ANNOTATION_ENABLED = 'enabled';

/** What the control plane knows of the cluster (or the local folder) at one moment. */
export interface MeshSnapshot {
  deployments: readonly Deployment[];
  services: readonly Service[];
  endpointSlices: readonly EndpointSlice[];
  pods: readonly Pod[];
}

export interface MeshProxies {
  sources: MetricSource[];
  /** Per meshed Deployment (its template has the proxy, or a pod of it was found): ready and desired replicas. */
  replicas: Map<string, { ready: number; desired: number; services: string[] }>;
}

type Labels = Readonly<Record<string, string>>;

const ns = (o: { metadata: { namespace?: string } }) => o.metadata.namespace ?? 'default';
const selects = (selector: Labels | undefined, labels: Labels) =>
  selector !== undefined && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);
const deploymentSelector = (d: Deployment) => d.spec?.selector?.matchLabels ?? d.spec?.template?.metadata?.labels;

function hasProxy(podSpec: unknown): boolean {
  const spec = podSpec as { containers?: { name: string }[]; initContainers?: { name: string }[] } | undefined;
  return [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])].some((c) => c.name === PROXY_CONTAINER_NAME);
}

function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/**
 * The Deployment (`namespace/name`) a pod belongs to: by its labels when the Pod object is known (as the
 * ReplicaSet controller counts), else by name among the given Deployments, the longest `<name>-` prefix winning
 * (local mode has no Pod objects: replicas are `<deployment>-<n>`, ReplicaSet pods `<deployment>-<hash>-<suffix>`).
 */
function ownerOf(namespace: string, podName: string, pod: Pod | undefined, deployments: readonly Deployment[]): string | undefined {
  let best: Deployment | undefined;
  for (const d of deployments) {
    if (ns(d) !== namespace) continue;
    const owns = pod !== undefined ? selects(deploymentSelector(d), pod.metadata.labels ?? {}) : podName.startsWith(`${d.metadata.name}-`);
    if (owns && (best === undefined || d.metadata.name.length > best.metadata.name.length)) best = d;
  }
  return best === undefined ? undefined : `${namespace}/${best.metadata.name}`;
}

/**
 * Every meshed proxy's metrics address and the replicas of every Deployment: pods that run the proxy container
 * (or the meshed annotation) and have an IP, and the endpoints of EndpointSlices that name a pod no Pod object
 * describes. A pod is counted ready when its Ready condition is true or an endpoint of it is ready and not
 * terminating; the Services it is behind are the slices' Services.
 */
export function meshProxies(snapshot: MeshSnapshot, metricsPort: number): MeshProxies {
  const pods = new Map(snapshot.pods.map((p) => [`${ns(p)}/${p.metadata.name}`, p]));
  const found = new Map<string, { address: string; workload: string | undefined; ready: boolean; services: Set<string> }>();
  for (const [key, pod] of pods) {
    const address = pod.status?.podIP;
    const meshed = hasProxy(pod.spec) || pod.metadata.annotations?.[PROXY_ANNOTATION] === PROXY_ANNOTATION_ENABLED;
    if (!address || !meshed || pod.status?.phase !== 'Running') continue;
    const ready = pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
    found.set(key, { address, workload: ownerOf(ns(pod), pod.metadata.name, pod, snapshot.deployments), ready, services: new Set() });
  }
  for (const slice of snapshot.endpointSlices) {
    const namespace = ns(slice);
    const service = `${namespace}/${slice.metadata.labels?.[SERVICE_NAME_LABEL] ?? ''}`;
    for (const e of slice.endpoints ?? []) {
      const podName = e.targetRef?.kind === undefined || e.targetRef.kind === 'Pod' ? e.targetRef?.name : undefined;
      const address = e.addresses[0];
      if (podName === undefined || address === undefined) continue;
      const key = `${e.targetRef?.namespace ?? namespace}/${podName}`;
      const ready = e.conditions?.ready !== false && e.conditions?.terminating !== true;
      let entry = found.get(key);
      if (entry === undefined) {
        if (pods.has(key)) continue; // a known pod without the proxy (or not running): not meshed
        entry = { address, workload: ownerOf(namespace, podName, undefined, snapshot.deployments), ready, services: new Set() };
        found.set(key, entry);
      } else {
        entry.ready ||= ready;
      }
      entry.services.add(service);
    }
  }
  const replicas: MeshProxies['replicas'] = new Map();
  const withPods = new Set([...found.values()].map((e) => e.workload));
  for (const d of snapshot.deployments) {
    const key = `${ns(d)}/${d.metadata.name}`;
    if (withPods.has(key) || hasProxy(d.spec?.template?.spec)) replicas.set(key, { ready: 0, desired: d.spec?.replicas ?? 1, services: [] });
  }
  for (const entry of found.values()) {
    const r = entry.workload === undefined ? undefined : replicas.get(entry.workload);
    if (r === undefined) continue;
    if (entry.ready) r.ready++;
    for (const s of entry.services) if (!r.services.includes(s)) r.services.push(s);
  }
  const sources = [...found.values()]
    .sort((a, b) => a.address.localeCompare(b.address))
    .map((e) => ({ address: hostPort(e.address, metricsPort), ...(e.workload === undefined ? {} : { workload: e.workload }) }));
  return { sources, replicas };
}
