import { INJECT_DISABLED, INJECT_ENABLED, INJECT_KEY, PROXY_ANNOTATION, PROXY_CONTAINER_NAME } from './defaults';
import type { Json, ObjectMeta, PodTemplate } from './pod';
import { identityVolumes, proxyContainer, type ProxySettings } from './proxy-container';

/**
 * How the proxy joins the pod. `native`: a sidecar init container (`restartPolicy: Always`, Kubernetes >= 1.29),
 * started before the app and stopped after it, so Jobs complete. `container`: a regular container, for older clusters.
 */
export type SidecarMode = 'native' | 'container';

export interface InjectOptions extends ProxySettings {
  mode: SidecarMode;
  /** True when the namespace opted in (its `trellis.io/inject: enabled` label); a pod may still opt out. */
  namespaceEnabled?: boolean;
  /** When false, a pod is injected only if it or its namespace opted in (the webhook); the CLI injects unless opted out. */
  injectByDefault?: boolean;
}

export type InjectDecision = { inject: true } | { inject: false; reason: string };

export function alreadyInjected(template: PodTemplate): boolean {
  const all = [...template.spec.containers, ...(template.spec.initContainers ?? [])];
  return all.some((c) => c.name === PROXY_CONTAINER_NAME);
}

/** Whether to inject: opted out, host network and already injected pods are skipped, with the reason. */
export function decide(template: PodTemplate, options: Pick<InjectOptions, 'namespaceEnabled' | 'injectByDefault'>): InjectDecision {
  const setting = template.metadata?.annotations?.[INJECT_KEY];
  if (setting === INJECT_DISABLED) return { inject: false, reason: `annotation ${INJECT_KEY}: ${INJECT_DISABLED}` };
  if (alreadyInjected(template)) return { inject: false, reason: `already has a ${PROXY_CONTAINER_NAME} container` };
  if (template.spec.hostNetwork === true) return { inject: false, reason: 'hostNetwork pods share the node network; the proxy ports would clash' };
  if (setting === INJECT_ENABLED || options.namespaceEnabled === true || options.injectByDefault === true) return { inject: true };
  return { inject: false, reason: `neither the pod (annotation) nor its namespace (label) has ${INJECT_KEY}: ${INJECT_ENABLED}` };
}

/**
 * The workload a pod belongs to, for the proxy's configuration/revision labels: the Deployment behind its
 * ReplicaSet (the name without the pod-template-hash), another owner, its `app` label, or its own name.
 */
export function workloadName(meta: ObjectMeta | undefined, fallback: string): string {
  const owner = meta?.ownerReferences?.[0];
  const hash = meta?.labels?.['pod-template-hash'];
  if (owner?.kind === 'ReplicaSet' && hash && owner.name.endsWith(`-${hash}`)) return owner.name.slice(0, -hash.length - 1);
  if (owner) return owner.name;
  return meta?.labels?.['app.kubernetes.io/name'] ?? meta?.labels?.['app'] ?? meta?.name ?? meta?.generateName?.replace(/-$/, '') ?? fallback;
}

/** The identity volumes the pod does not have yet (by name). */
export function missingVolumes(spec: PodTemplate['spec']): Json[] {
  const have = new Set((spec.volumes ?? []).map((v) => v['name']));
  return identityVolumes().filter((v) => !have.has(v['name']));
}

/** The pod template with the proxy added and marked; the input is not modified. */
export function injectTemplate(template: PodTemplate, workload: string, options: InjectOptions): PodTemplate {
  const annotations = template.metadata?.annotations ?? {};
  const proxy = proxyContainer(annotations, workload, template.spec, options);
  const spec = structuredClone(template.spec);
  if (options.mode === 'native') spec.initContainers = [{ ...proxy, restartPolicy: 'Always' }, ...(spec.initContainers ?? [])];
  else spec.containers = [...spec.containers, proxy];
  const missing = missingVolumes(template.spec);
  if (missing.length > 0) spec.volumes = [...(spec.volumes ?? []), ...missing];
  const metadata = structuredClone(template.metadata ?? {});
  metadata.annotations = { ...metadata.annotations, [PROXY_ANNOTATION]: 'enabled' };
  return { ...structuredClone(template), metadata, spec };
}
