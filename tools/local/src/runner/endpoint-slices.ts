import type { Endpoint, EndpointPort, EndpointSlice, Pod, Service } from '@trellis/kube';
import { SERVICE_NAME_LABEL } from '@trellis/kube';
import type { ReplicaPhase } from './reconcile';

// The proxy's standard ports, by the names the deploy/ sidecar gives them (Knative queue-proxy: 8012 http,
// 8013 h2c, 8022 admin, 9090 autoscaling stats, 9091 metrics). A Service's named targetPort resolves here.
export const PROXY_HTTP_PORT = 8012;
export const PROXY_PORTS: Readonly<Record<string, number>> = {
  http: PROXY_HTTP_PORT,
  h2c: 8013,
  admin: 8022,
  autoscaling: 9090,
  metrics: 9091,
};

// Marks the slices the runner writes, the way Kubernetes' controller marks its own.
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
export const MANAGED_BY_RUNNER = 'local.trellis.io';
// Every local replica reports this node name.
export const LOCAL_NODE_NAME = 'local';

export interface SliceWorkload {
  key: string;
  namespace: string;
  name: string;
  labels: Record<string, string>;
  namedPorts: Record<string, number>;
}

export interface SliceReplica {
  podName: string;
  address: string;
  workload: string;
  phase: ReplicaPhase;
}

export interface SlicePlan {
  /** One slice per (Service, Deployment) pair the Service selects, keyed by namespace/slice name. */
  slices: Map<string, EndpointSlice>;
  /** One Pod per replica, keyed by namespace/pod name: the destination reads a meshed pod's identity from it. */
  pods: Map<string, Pod>;
  problems: string[];
}

// The pod-template-hash of every local ReplicaSet, so that the destination labels endpoints with their Deployment.
const LOCAL_TEMPLATE_HASH = 'local';
// Every local replica runs the proxy, as the destination reads it from a pod (the deploy/ sidecar's annotation).
const PROXY_ANNOTATIONS = Object.freeze({ 'trellis.io/proxy': 'enabled' });
/** Local workloads run as their namespace's `default` ServiceAccount (the identity their proxies are certified for). */
export const LOCAL_SERVICE_ACCOUNT = 'default';

/** The Pod a replica would be in a cluster: its labels, owner, ServiceAccount and IP. */
function podOf(r: SliceReplica, workload: SliceWorkload): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: r.podName,
      namespace: workload.namespace,
      labels: { ...workload.labels, 'pod-template-hash': LOCAL_TEMPLATE_HASH },
      annotations: { ...PROXY_ANNOTATIONS },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${workload.name}-${LOCAL_TEMPLATE_HASH}`, uid: `local-${workload.key}`, controller: true }],
    },
    spec: { serviceAccountName: LOCAL_SERVICE_ACCOUNT, containers: [], nodeName: LOCAL_NODE_NAME },
    status: { podIP: r.address, podIPs: [{ ip: r.address }], phase: 'Running' },
  };
}

/** True when the Service's (non-empty) selector matches the workload's pod labels, in its namespace. */
export function selects(service: Service, workload: Pick<SliceWorkload, 'namespace' | 'labels'>): boolean {
  const selector = service.spec?.selector;
  if ((service.metadata.namespace ?? 'default') !== workload.namespace) return false;
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => workload.labels[k] === v);
}

function slicePorts(service: Service, workload: SliceWorkload, problems: string[]): EndpointPort[] {
  const ports: EndpointPort[] = [];
  for (const p of service.spec?.ports ?? []) {
    const target = p.targetPort ?? p.port;
    const port = typeof target === 'number' ? target : /^\d+$/.test(target) ? Number(target) : (workload.namedPorts[target] ?? PROXY_PORTS[target]);
    if (port === undefined) {
      problems.push(`Service ${service.metadata.name}: targetPort "${String(target)}" names no port of ${workload.key} nor a proxy port (${Object.keys(PROXY_PORTS).join(', ')})`);
      continue;
    }
    ports.push({ ...(p.name === undefined ? {} : { name: p.name }), port, protocol: p.protocol ?? 'TCP', ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}) });
  }
  return ports;
}

function endpointOf(r: SliceReplica, namespace: string): Endpoint {
  const ready = r.phase === 'ready';
  return {
    addresses: [r.address],
    conditions: { ready, serving: ready, terminating: r.phase === 'stopping' },
    targetRef: { kind: 'Pod', name: r.podName, namespace },
    nodeName: LOCAL_NODE_NAME,
  };
}

function compareAddresses(a: Endpoint, b: Endpoint): number {
  const key = (e: Endpoint) => (e.addresses[0] ?? '').split('.').map((p) => p.padStart(3, '0')).join('.');
  return key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
}

/** The EndpointSlices that describe `replicas` for every Service that selects one of `workloads`. */
export function planSlices(services: readonly Service[], workloads: readonly SliceWorkload[], replicas: readonly SliceReplica[]): SlicePlan {
  const slices = new Map<string, EndpointSlice>();
  const pods = new Map<string, Pod>();
  const problems: string[] = [];
  const byKey = new Map(workloads.map((w) => [w.key, w]));
  for (const r of replicas) {
    const workload = byKey.get(r.workload);
    if (workload !== undefined) pods.set(`${workload.namespace}/${r.podName}`, podOf(r, workload));
  }
  for (const service of services) {
    for (const workload of workloads) {
      if (!selects(service, workload)) continue;
      const name = `${service.metadata.name}-${workload.name}-local`;
      const endpoints = replicas
        .filter((r) => r.workload === workload.key)
        .map((r) => endpointOf(r, workload.namespace))
        .sort(compareAddresses);
      slices.set(`${workload.namespace}/${name}`, {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: {
          name,
          namespace: workload.namespace,
          labels: { [SERVICE_NAME_LABEL]: service.metadata.name, [MANAGED_BY_LABEL]: MANAGED_BY_RUNNER },
        },
        addressType: 'IPv4',
        endpoints,
        ports: slicePorts(service, workload, problems),
      });
    }
  }
  return { slices, pods, problems };
}
