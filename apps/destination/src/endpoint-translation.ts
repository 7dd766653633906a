import type { EndpointSlice, Pod, Service } from '@trellis/kube';
import type { WeightedAddr } from '@trellis/proto';
import {
  DEFAULT_SERVICE_ACCOUNT,
  ENDPOINT_WEIGHT,
  IDENTITY_ANNOTATION,
  IDENTITY_DISABLED,
  PROXY_ANNOTATION,
  PROXY_ANNOTATION_ENABLED,
  PROXY_CONTAINER_NAME,
} from './defaults';
import { toTcpAddress } from './ip-address';

export interface AddrEntry {
  addr: WeightedAddr;
  /** Equal fingerprints mean equal messages, so an unchanged endpoint is not re-sent. */
  fingerprint: string;
}

/** What one service port resolves to at one moment; immutable once built. */
export interface EndpointSnapshot {
  exists: boolean;
  /** Set labels sent with every `add`. */
  labels: Record<string, string>;
  /** Keyed by `ip:port` (`[ip]:port` for IPv6). */
  addrs: ReadonlyMap<string, AddrEntry>;
  /** Pods (`ns/name`) and IPs (`ip:<ip>`) this snapshot read, so a change to one of them can mark it stale. */
  dependencies: ReadonlySet<string>;
}

export interface PodLookup {
  byName(namespace: string, name: string): Pod | undefined;
  byIp(ip: string): Pod | undefined;
}

type Target = { sliceName: string | undefined; target: number | string };

/** The service port's name (as slices name their ports) and its targetPort; an unknown port targets itself. */
export function resolveServicePort(service: Service, port: number): Target {
  const servicePort = service.spec?.ports?.find((p) => p.port === port);
  if (!servicePort) return { sliceName: undefined, target: port };
  return { sliceName: servicePort.name ?? '', target: servicePort.targetPort ?? servicePort.port };
}

function containerPort(pod: Pod | undefined, name: string): number | undefined {
  for (const container of pod?.spec?.containers ?? []) {
    const match = container.ports?.find((p) => p.name === name);
    if (match) return match.containerPort;
  }
  return undefined;
}

/** The endpoint's port: the slice's port of that name, else the numeric targetPort, else the pod's named container port. */
function endpointPort(slice: EndpointSlice, target: Target, pod: Pod | undefined): number | undefined {
  if (target.sliceName !== undefined) {
    const slicePort = slice.ports?.find((p) => (p.name ?? '') === target.sliceName);
    if (slicePort?.port !== undefined) return slicePort.port;
  }
  if (typeof target.target === 'number') return target.target;
  if (/^[0-9]+$/.test(target.target)) return Number(target.target);
  return containerPort(pod, target.target);
}

/** `deployment: web` from a ReplicaSet `web-5d8f9c7b6` or a Deployment owner; other kinds by their own name. */
export function ownerLabel(pod: Pod): [string, string] | undefined {
  const owners = pod.metadata.ownerReferences ?? [];
  const owner = owners.find((o) => o.controller) ?? owners[0];
  if (!owner) return undefined;
  if (owner.kind === 'ReplicaSet') {
    const hash = pod.metadata.labels?.['pod-template-hash'];
    const cut = hash && owner.name.endsWith(`-${hash}`) ? owner.name.length - hash.length - 1 : owner.name.lastIndexOf('-');
    return cut > 0 ? ['deployment', owner.name.slice(0, cut)] : ['replicaset', owner.name];
  }
  return [owner.kind.toLowerCase(), owner.name];
}

/** The pod runs the Trellis proxy: a container named trellis-proxy, or the trellis.io/proxy: enabled annotation. */
export function runsProxy(pod: Pod): boolean {
  if (pod.metadata.annotations?.[PROXY_ANNOTATION] === PROXY_ANNOTATION_ENABLED) return true;
  return (pod.spec?.containers ?? []).some((c) => c.name === PROXY_CONTAINER_NAME);
}

export function addrKey(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/**
 * The workload identity of a meshed pod, as Linkerd's destination derives it: its ServiceAccount and
 * namespace under the trust domain. None when identity is off (no trust domain), the pod runs no proxy,
 * or its proxy runs without identity.
 */
export function podIdentity(pod: Pod | undefined, trustDomain: string | undefined): string | undefined {
  if (trustDomain === undefined || pod === undefined || !runsProxy(pod)) return undefined;
  if (pod.metadata.annotations?.[IDENTITY_ANNOTATION] === IDENTITY_DISABLED) return undefined;
  const serviceAccount = pod.spec?.serviceAccountName || DEFAULT_SERVICE_ACCOUNT;
  return `${serviceAccount}.${pod.metadata.namespace ?? 'default'}.serviceaccount.identity.${trustDomain}`;
}

/** One endpoint's WeightedAddr, labelled from its pod when known (else `pod` from the slice's targetRef). */
export function toWeightedAddr(ip: string, port: number, pod: Pod | undefined, podName?: string, trustDomain?: string): AddrEntry | undefined {
  const tcp = toTcpAddress(ip, port);
  if (!tcp) return undefined;
  const labels: Record<string, string> = {};
  if (podName) labels.pod = podName;
  if (pod) {
    labels.pod = pod.metadata.name;
    const owner = ownerLabel(pod);
    if (owner) labels[owner[0]] = owner[1];
  }
  const h2 = pod !== undefined && runsProxy(pod);
  const addr: WeightedAddr = { addr: tcp, weight: ENDPOINT_WEIGHT, metricLabels: labels };
  if (h2) addr.protocolHint = { protocol: { $case: 'h2', value: {} } };
  const identity = podIdentity(pod, trustDomain);
  if (identity !== undefined) {
    addr.tlsIdentity = { strategy: { $case: 'dnsLikeIdentity', value: { name: identity } }, serverName: { name: identity } };
  }
  return { addr, fingerprint: JSON.stringify([labels, h2, identity]) };
}

function isReady(conditions: { ready?: boolean } | undefined): boolean {
  return conditions?.ready !== false;
}

/**
 * Merges every slice of a service into the ready endpoints of one service port. Pure: the pods are
 * read through `pods`. A missing Service yields exists=false (whatever slices say).
 */
export function translateEndpoints(
  namespace: string,
  name: string,
  port: number,
  service: Service | undefined,
  slices: readonly EndpointSlice[],
  pods: PodLookup,
  trustDomain?: string,
): EndpointSnapshot {
  const labels = { namespace, service: name };
  const addrs = new Map<string, AddrEntry>();
  const dependencies = new Set<string>();
  if (!service) return { exists: false, labels, addrs, dependencies };
  const target = resolveServicePort(service, port);
  for (const slice of slices) {
    if (slice.addressType === 'FQDN') continue;
    for (const endpoint of slice.endpoints ?? []) {
      if (!isReady(endpoint.conditions)) continue;
      const ref = endpoint.targetRef;
      const refNamespace = ref?.namespace ?? namespace;
      if (ref?.kind === 'Pod' && ref.name) dependencies.add(`${refNamespace}/${ref.name}`);
      for (const ip of endpoint.addresses ?? []) {
        dependencies.add(`ip:${ip}`);
        const pod = ref?.kind === 'Pod' && ref.name ? pods.byName(refNamespace, ref.name) : pods.byIp(ip);
        const p = endpointPort(slice, target, pod);
        if (p === undefined || p < 1 || p > 65535) continue;
        const key = addrKey(ip, p);
        if (addrs.has(key)) continue;
        const entry = toWeightedAddr(ip, p, pod, ref?.kind === 'Pod' ? ref.name : undefined, trustDomain);
        if (entry) addrs.set(key, entry);
      }
    }
  }
  return { exists: true, labels, addrs, dependencies };
}
