// YAML builders for integration tests (the fs source reads them; the kubernetes test applies the same objects).
import { stringify } from 'yaml';

export interface EndpointSpec {
  ip: string;
  ready?: boolean;
  pod?: string;
}

export function serviceObject(name: string, namespace: string, ports = [{ name: 'http', port: 80, targetPort: 8080 }]) {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec: { ports } };
}

/** A copy of `obj` with these annotations (replacing any it had). */
export function withAnnotations<T extends { metadata: object }>(obj: T, annotations: Record<string, string>): T {
  return { ...obj, metadata: { ...obj.metadata, annotations } };
}

export function sliceObject(name: string, namespace: string, service: string, endpoints: EndpointSpec[], port = 8080) {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name, namespace, labels: { 'kubernetes.io/service-name': service } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port }],
    endpoints: endpoints.map((e) => ({
      addresses: [e.ip],
      ...(e.ready === undefined ? {} : { conditions: { ready: e.ready } }),
      ...(e.pod ? { targetRef: { kind: 'Pod', name: e.pod, namespace } } : {}),
    })),
  };
}

export function podObject(name: string, namespace: string, ip: string, proxy: boolean) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace,
      labels: { 'pod-template-hash': 'abc12' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${name.split('-')[0]}-abc12`, controller: true }],
    },
    spec: { containers: [{ name: 'app' }, ...(proxy ? [{ name: 'trellis-proxy' }] : [])] },
    status: { podIP: ip, podIPs: [{ ip }] },
  };
}

export function profileObject(service: string, namespace: string, profileNamespace: string, spec: object) {
  return {
    apiVersion: 'linkerd.io/v1alpha2',
    kind: 'ServiceProfile',
    metadata: { name: `${service}.${namespace}.svc.cluster.local`, namespace: profileNamespace },
    spec,
  };
}

export function yamlDocs(...objects: object[]): string {
  return objects.map((o) => stringify(o)).join('---\n');
}

/** A Gateway API v1 route whose one parentRef is a Service (GAMMA). */
export function routeObject(kind: 'HTTPRoute' | 'GRPCRoute', name: string, namespace: string, parent: { name: string; namespace?: string; port?: number }, rules: object[]) {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind,
    metadata: { name, namespace },
    spec: { parentRefs: [{ group: '', kind: 'Service', ...parent }], rules },
  };
}
