/**
 * Kubernetes YAML for the destination service's `fs:<dir>` source: one Service and one EndpointSlice per backend,
 * each slice naming a single ready endpoint on loopback, and for a meshed backend the Pod its endpoint points at. The authority the proxy resolves is
 * `<name>.<namespace>.svc.cluster.local:<SERVICE_PORT>`.
 */

export const BENCH_NAMESPACE = 'bench';
/** The Service port the authority names; Linkerd authorities default to 80 as well. */
export const SERVICE_PORT = 80;

export interface MeshBackend {
  readonly name: string;
  readonly port: number;
  readonly appProtocol?: string;
  /**
   * The Pod the endpoint is, when a Trellis proxy serves it: annotated `trellis.io/proxy: enabled` and running as the
   * namespace's `default` ServiceAccount, so a destination with a trust domain sends its identity (mTLS).
   */
  readonly meshedPod?: string;
}

/** The annotation the destination reads a meshed pod from (deploy/'s sidecar sets it). */
const PROXY_ANNOTATION = 'trellis.io/proxy';

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
    ready: true${targetRef(backend.meshedPod)}
${backend.meshedPod ? pod(backend.meshedPod) : ''}`;
}

// By name, not by IP: every bench endpoint is 127.0.0.1.
function targetRef(podName: string | undefined): string {
  return podName ? `
  targetRef:
    kind: Pod
    name: ${podName}
    namespace: ${BENCH_NAMESPACE}` : '';
}

function pod(name: string): string {
  return `---
apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: ${BENCH_NAMESPACE}
  annotations:
    ${PROXY_ANNOTATION}: enabled
spec:
  serviceAccountName: default
  containers: []
status:
  phase: Running
  podIP: 127.0.0.1
  podIPs:
  - ip: 127.0.0.1
`;
}

export function meshManifests(backends: readonly MeshBackend[]): string {
  return backends.map(manifest).join('---\n');
}
