import type { Deployment, EndpointSlice, Pod, Service } from '@trellis/kube';
import { DEFAULT_NAMESPACE, SERVICE_NAME_LABEL } from '@trellis/kube';
import { isKpaClass } from '@trellis/kpa';

/** Knative's name for the queue-proxy's stats port on a revision's private Service. */
export const STATS_PORT_NAME = 'queue-metrics';
/** Knative queue-proxy stats port (networking.AutoscalingQueueMetricsPort). */
export const DEFAULT_SCRAPE_PORT = 9090;

export interface ReadyPod {
  /** Stable identity: the endpoint's targetRef uid or name, else its address. */
  key: string;
  url: string;
  /** Pod creation time when the Pod object is known. */
  createdMs: number | undefined;
}

/** One autoscaled Deployment as seen in the cluster right now. */
export interface TargetView {
  key: string;
  namespace: string;
  name: string;
  /** Template annotations overlaid by the Deployment's own. */
  annotations: Record<string, string>;
  containerConcurrency: number;
  /** spec.replicas; Kubernetes defaults it to 1. */
  replicas: number;
  createdMs: number | undefined;
  /** Names of the Services (same namespace) that select the pods. */
  services: string[];
  pods: ReadyPod[];
}

export interface ClusterSnapshot {
  deployments: readonly Deployment[];
  services: readonly Service[];
  endpointSlices: readonly EndpointSlice[];
  pods: readonly Pod[];
}

/**
 * The KPA-class Deployments and their ready pods: a Deployment's pods are the ready endpoints of the Services (same
 * namespace) whose non-empty selector matches the Deployment's pod template labels, kept only when the endpoint is
 * one of the Deployment's own pods (see `ownsEndpoint`), since one Service (an apex) may select several Deployments.
 */
export function discoverTargets(snapshot: ClusterSnapshot, scrapePort: number = DEFAULT_SCRAPE_PORT): TargetView[] {
  const servicesByNs = groupBy(snapshot.services, (s) => ns(s.metadata.namespace));
  const slicesByService = groupBy(snapshot.endpointSlices, (s) => `${ns(s.metadata.namespace)}/${s.metadata.labels?.[SERVICE_NAME_LABEL] ?? ''}`);
  const podsByName = new Map(snapshot.pods.map((p) => [`${ns(p.metadata.namespace)}/${p.metadata.name}`, p]));
  const deploymentsByNs = groupBy(snapshot.deployments, (d) => ns(d.metadata.namespace));
  const out: TargetView[] = [];
  for (const d of snapshot.deployments) {
    const annotations = { ...d.spec?.template?.metadata?.annotations, ...d.metadata.annotations };
    if (!isKpaClass(annotations)) continue;
    const namespace = ns(d.metadata.namespace);
    const labels = templateLabels(d);
    const pods = new Map<string, ReadyPod>();
    const services: string[] = [];
    for (const svc of servicesByNs.get(namespace) ?? []) {
      if (!selects(svc.spec?.selector, labels)) continue;
      services.push(svc.metadata.name);
      const owner: Owner = { deployment: d, siblings: deploymentsByNs.get(namespace)?.filter((o) => selects(svc.spec?.selector, templateLabels(o))) ?? [] };
      for (const slice of slicesByService.get(`${namespace}/${svc.metadata.name}`) ?? []) {
        for (const pod of readyPods(slice, namespace, podsByName, scrapePort, owner)) if (!pods.has(pod.key)) pods.set(pod.key, pod);
      }
    }
    out.push({
      key: `${namespace}/${d.metadata.name}`,
      namespace,
      name: d.metadata.name,
      annotations,
      containerConcurrency: containerConcurrency(d),
      replicas: d.spec?.replicas ?? 1,
      createdMs: parseTime(d.metadata.creationTimestamp),
      services,
      pods: [...pods.values()],
    });
  }
  return out;
}

/** The Deployment whose pods are wanted, and every Deployment (itself included) the Service selects. */
interface Owner {
  deployment: Deployment;
  siblings: readonly Deployment[];
}

function readyPods(slice: EndpointSlice, namespace: string, podsByName: Map<string, Pod>, scrapePort: number, owner: Owner): ReadyPod[] {
  const port = slice.ports?.find((p) => p.name === STATS_PORT_NAME)?.port ?? scrapePort;
  const out: ReadyPod[] = [];
  for (const ep of slice.endpoints ?? []) {
    const address = ep.addresses[0];
    if (address === undefined || ep.conditions?.ready === false || ep.conditions?.terminating === true) continue;
    const pod = ep.targetRef?.name === undefined ? undefined : podsByName.get(`${ep.targetRef.namespace ?? namespace}/${ep.targetRef.name}`);
    if (!ownsEndpoint(owner, ep.targetRef?.name, pod)) continue;
    const host = slice.addressType === 'IPv6' || address.includes(':') ? `[${address}]` : address;
    out.push({
      key: ep.targetRef?.uid ?? ep.targetRef?.name ?? address,
      url: `http://${host}:${port}/metrics`,
      createdMs: parseTime(pod?.metadata.creationTimestamp),
    });
  }
  return out;
}

/**
 * Whether an endpoint is one of the owner's pods. In order:
 * - the Pod object is known: its labels match the Deployment's selector (`spec.selector.matchLabels`, else the
 *   template labels), which is how the ReplicaSet controller itself counts pods;
 * - only the targetRef name is known (local mode has no Pod objects): among the Deployments the Service selects,
 *   the one with the longest name such that the pod is named `<name>-...` owns it. ReplicaSet pods are named
 *   `<deployment>-<hash>-<suffix>` and local replicas `<deployment>-<n>`, so `hello-v1-0` is `hello-v1`'s, not `hello`'s;
 * - no targetRef name: the endpoint is attributed only when the Service selects no other Deployment.
 */
function ownsEndpoint(owner: Owner, podName: string | undefined, pod: Pod | undefined): boolean {
  if (pod !== undefined) return selects(deploymentSelector(owner.deployment), pod.metadata.labels ?? {});
  if (podName === undefined) return owner.siblings.every((d) => d === owner.deployment);
  let best: Deployment | undefined;
  for (const d of owner.siblings) {
    if (podName.startsWith(`${d.metadata.name}-`) && (best === undefined || d.metadata.name.length > best.metadata.name.length)) best = d;
  }
  return best === owner.deployment;
}

function templateLabels(d: Deployment): Record<string, string> {
  return d.spec?.template?.metadata?.labels ?? {};
}

function deploymentSelector(d: Deployment): Record<string, string> {
  const matchLabels = d.spec?.selector?.matchLabels;
  return matchLabels !== undefined && Object.keys(matchLabels).length > 0 ? matchLabels : templateLabels(d);
}

function selects(selector: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  if (selector === undefined) return false;
  const entries = Object.entries(selector);
  return entries.length > 0 && entries.every(([k, v]) => labels[k] === v);
}

/** CONTAINER_CONCURRENCY from any container of the pod template (the proxy reads the same variable); 0 if absent. */
function containerConcurrency(d: Deployment): number {
  const spec = d.spec?.template?.spec as { containers?: { env?: { name?: string; value?: string }[] }[] } | undefined;
  for (const c of spec?.containers ?? []) {
    const value = c.env?.find((e) => e.name === 'CONTAINER_CONCURRENCY')?.value;
    const n = Number(value);
    if (value !== undefined && Number.isSafeInteger(n) && n >= 0) return n;
  }
  return 0;
}

function parseTime(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

function ns(namespace: string | undefined): string {
  return namespace ?? DEFAULT_NAMESPACE;
}

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list === undefined) out.set(k, [item]);
    else list.push(item);
  }
  return out;
}
