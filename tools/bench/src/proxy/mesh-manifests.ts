/**
 * Kubernetes YAML for the destination service's `fs:<dir>` source: one Service and one EndpointSlice per backend,
 * each slice naming a single ready endpoint on loopback. The authority the proxy resolves is
 * `<name>.<namespace>.svc.cluster.local:<SERVICE_PORT>`.
 */

export const BENCH_NAMESPACE = 'bench';
/** The Service port the authority names; Linkerd authorities default to 80 as well. */
export const SERVICE_PORT = 80;

export interface MeshBackend {
  readonly name: string;
  readonly port: number;
  readonly appProtocol?: string;
}

export function authorityOf(name: string): string {
  return `${name}.${BENCH_NAMESPACE}.svc.cluster.local:${SERVICE_PORT}`;
}

function manifest(backend: MeshBackend): string {
  const appProtocol = (indent: string) => (backend.appProtocol ? `\n${indent}appProtocol: ${backend.appProtocol}` : '');
  return `apiVersion: v1
kind: Service
metadata:
  name: ${backend.name}
  namespace: ${BENCH_NAMESPACE}
spec:
  ports:
  - name: http
    port: ${SERVICE_PORT}
    targetPort: ${backend.port}
    protocol: TCP${appProtocol('    ')}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: ${backend.name}-bench
  namespace: ${BENCH_NAMESPACE}
  labels:
    kubernetes.io/service-name: ${backend.name}
addressType: IPv4
ports:
- name: http
  port: ${backend.port}
  protocol: TCP${appProtocol('  ')}
endpoints:
- addresses:
  - 127.0.0.1
  conditions:
    ready: true
`;
}

export function meshManifests(backends: readonly MeshBackend[]): string {
  return backends.map(manifest).join('---\n');
}
