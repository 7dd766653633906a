// Kubernetes object model: plain JSON shapes with only the fields Trellis reads. Objects keep every
// other field they arrived with, so writing one back loses nothing.

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid?: string;
  controller?: boolean;
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  creationTimestamp?: string;
  ownerReferences?: OwnerReference[];
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
}

export interface ServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
  protocol?: string;
  appProtocol?: string;
}

export interface Service extends KubeObject {
  spec?: { selector?: Record<string, string>; clusterIP?: string; ports?: ServicePort[] };
}

export interface ObjectReference {
  kind?: string;
  name?: string;
  namespace?: string;
  uid?: string;
}

export interface Endpoint {
  addresses: string[];
  conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean };
  targetRef?: ObjectReference;
  nodeName?: string;
  zone?: string;
  hostname?: string;
}

export interface EndpointPort {
  name?: string;
  port?: number;
  protocol?: string;
  appProtocol?: string;
}

/** discovery.k8s.io/v1. metadata.labels['kubernetes.io/service-name'] names the Service. */
export interface EndpointSlice extends KubeObject {
  addressType: 'IPv4' | 'IPv6' | 'FQDN';
  endpoints?: Endpoint[];
  ports?: EndpointPort[];
}

export interface EndpointAddress {
  ip: string;
  hostname?: string;
  nodeName?: string;
  targetRef?: ObjectReference;
}

export interface EndpointSubset {
  addresses?: EndpointAddress[];
  notReadyAddresses?: EndpointAddress[];
  ports?: { name?: string; port: number; protocol?: string; appProtocol?: string }[];
}

/** Legacy v1 Endpoints; the fs source converts them into EndpointSlices. */
export interface Endpoints extends KubeObject {
  subsets?: EndpointSubset[];
}

export interface Pod extends KubeObject {
  spec?: {
    containers: { name: string; ports?: { name?: string; containerPort: number }[] }[];
    nodeName?: string;
    serviceAccountName?: string;
  };
  status?: {
    podIP?: string;
    podIPs?: { ip: string }[];
    phase?: string;
    conditions?: { type: string; status: string }[];
  };
}

// The ServiceProfile spec as Linkerd documents it. Sources do not validate it: every field may hold
// anything a manifest author wrote, and the destination service validates before use.
export interface ServiceProfileRoute {
  name?: string;
  condition?: unknown;
  responseClasses?: unknown[];
  isRetryable?: boolean;
  timeout?: string;
  [field: string]: unknown;
}

export interface ServiceProfileSpec {
  routes?: ServiceProfileRoute[];
  retryBudget?: { retryRatio?: number; minRetriesPerSecond?: number; ttl?: string };
  dstOverrides?: { authority?: string; weight?: string | number }[];
  opaquePorts?: unknown[];
  [field: string]: unknown;
}

/** linkerd.io/v1alpha2 */
export interface ServiceProfile extends KubeObject {
  spec: ServiceProfileSpec;
}

/** Gateway API ParentReference; for GAMMA the parent is a Service (group "", kind Service). */
export interface ParentReference {
  group?: string;
  kind?: string;
  namespace?: string;
  name: string;
  sectionName?: string;
  port?: number;
}

// The HTTPRoute / GRPCRoute spec as Gateway API documents it. As with ServiceProfiles, sources do not
// validate it: the destination service does, before use (a malformed route is rejected on its own).
export interface GatewayRouteSpec {
  parentRefs?: ParentReference[];
  hostnames?: string[];
  rules?: unknown[];
  [field: string]: unknown;
}

/** gateway.networking.k8s.io/v1 */
export interface HTTPRoute extends KubeObject {
  spec: GatewayRouteSpec;
  status?: unknown;
}

/** gateway.networking.k8s.io/v1 */
export interface GRPCRoute extends KubeObject {
  spec: GatewayRouteSpec;
  status?: unknown;
}

// Linkerd's policy.linkerd.io resources. As with routes, sources do not validate their specs: the destination
// service does, before use (a malformed one is rejected on its own and the last valid version stays in force).
export interface LinkerdPolicyResource extends KubeObject {
  spec?: Record<string, unknown>;
  status?: unknown;
}

/** policy.linkerd.io/v1beta3 Server: a port of the pods a selector picks, and its protocol. */
export type LinkerdServer = LinkerdPolicyResource;
/** policy.linkerd.io/v1alpha1 AuthorizationPolicy: who may reach a Server, an HTTPRoute or a namespace. */
export type AuthorizationPolicy = LinkerdPolicyResource;
/** policy.linkerd.io/v1alpha1 MeshTLSAuthentication: client identities (or ServiceAccounts). */
export type MeshTLSAuthentication = LinkerdPolicyResource;
/** policy.linkerd.io/v1alpha1 NetworkAuthentication: client networks (CIDRs with exceptions). */
export type NetworkAuthentication = LinkerdPolicyResource;
/** policy.linkerd.io/v1alpha1 HTTPLocalRateLimitPolicy: requests per second for a Server. */
export type HTTPLocalRateLimitPolicy = LinkerdPolicyResource;

export interface Deployment extends KubeObject {
  spec?: {
    replicas?: number;
    selector?: { matchLabels?: Record<string, string> };
    template?: {
      metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
      spec?: unknown;
    };
  };
  status?: { replicas?: number; readyReplicas?: number };
}

export type ResourceKind =
  | 'Service'
  | 'EndpointSlice'
  | 'Pod'
  | 'ServiceProfile'
  | 'Deployment'
  | 'HTTPRoute'
  | 'GRPCRoute'
  | 'Server'
  | 'AuthorizationPolicy'
  | 'MeshTLSAuthentication'
  | 'NetworkAuthentication'
  | 'HTTPLocalRateLimitPolicy';

/** The policy.linkerd.io kinds (docs/policy.md). */
export const LINKERD_POLICY_KINDS = ['Server', 'AuthorizationPolicy', 'MeshTLSAuthentication', 'NetworkAuthentication', 'HTTPLocalRateLimitPolicy'] as const;
export type LinkerdPolicyKind = (typeof LINKERD_POLICY_KINDS)[number];

export const RESOURCE_KINDS: readonly ResourceKind[] = [
  'Service',
  'EndpointSlice',
  'Pod',
  'ServiceProfile',
  'Deployment',
  'HTTPRoute',
  'GRPCRoute',
  ...LINKERD_POLICY_KINDS,
];

/**
 * Kinds served by CRDs a cluster may not have installed (Gateway API and Linkerd's policy API are not part of
 * Kubernetes itself).
 * The kubernetes source treats "not found" (or "forbidden") on their list as an empty, synced kind and keeps retrying.
 */
export const OPTIONAL_KINDS: ReadonlySet<ResourceKind> = new Set(['HTTPRoute', 'GRPCRoute', ...LINKERD_POLICY_KINDS]);

/** The apiVersion each kind is served under (and defaulted to in manifests that omit it). */
export const API_VERSIONS: Readonly<Record<ResourceKind | 'Endpoints', string>> = {
  Service: 'v1',
  Endpoints: 'v1',
  Pod: 'v1',
  EndpointSlice: 'discovery.k8s.io/v1',
  Deployment: 'apps/v1',
  ServiceProfile: 'linkerd.io/v1alpha2',
  HTTPRoute: 'gateway.networking.k8s.io/v1',
  GRPCRoute: 'gateway.networking.k8s.io/v1',
  Server: 'policy.linkerd.io/v1beta3',
  AuthorizationPolicy: 'policy.linkerd.io/v1alpha1',
  MeshTLSAuthentication: 'policy.linkerd.io/v1alpha1',
  NetworkAuthentication: 'policy.linkerd.io/v1alpha1',
  HTTPLocalRateLimitPolicy: 'policy.linkerd.io/v1alpha1',
};

// Namespace used when an object omits one, as kubectl does.
export const DEFAULT_NAMESPACE = 'default';

// Label that ties an EndpointSlice to its Service (Kubernetes discovery.k8s.io/v1).
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export interface KindMap {
  Service: Service;
  EndpointSlice: EndpointSlice;
  Pod: Pod;
  ServiceProfile: ServiceProfile;
  Deployment: Deployment;
  HTTPRoute: HTTPRoute;
  GRPCRoute: GRPCRoute;
  Server: LinkerdServer;
  AuthorizationPolicy: AuthorizationPolicy;
  MeshTLSAuthentication: MeshTLSAuthentication;
  NetworkAuthentication: NetworkAuthentication;
  HTTPLocalRateLimitPolicy: HTTPLocalRateLimitPolicy;
}

export function namespaceOf(obj: KubeObject): string {
  return obj.metadata.namespace ?? DEFAULT_NAMESPACE;
}
