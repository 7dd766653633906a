/** One REST resource the fake serves, e.g. apps/v1 deployments. */
export interface ResourceType {
  group: string;
  version: string;
  plural: string;
  kind: string;
  namespaced: boolean;
  /** Typed built-in lists omit kind/apiVersion on items; unstructured (CRD) lists keep them. */
  builtin: boolean;
}

export const DEFAULT_RESOURCES: readonly ResourceType[] = [
  { group: '', version: 'v1', plural: 'services', kind: 'Service', namespaced: true, builtin: true },
  { group: '', version: 'v1', plural: 'pods', kind: 'Pod', namespaced: true, builtin: true },
  { group: '', version: 'v1', plural: 'endpoints', kind: 'Endpoints', namespaced: true, builtin: true },
  { group: '', version: 'v1', plural: 'namespaces', kind: 'Namespace', namespaced: false, builtin: true },
  { group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices', kind: 'EndpointSlice', namespaced: true, builtin: true },
  { group: 'apps', version: 'v1', plural: 'deployments', kind: 'Deployment', namespaced: true, builtin: true },
  { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', kind: 'Lease', namespaced: true, builtin: true },
  // Read on every create: its webhooks are called as the API server's mutating admission does (admission.ts).
  { group: 'admissionregistration.k8s.io', version: 'v1', plural: 'mutatingwebhookconfigurations', kind: 'MutatingWebhookConfiguration', namespaced: false, builtin: true },
  { group: 'linkerd.io', version: 'v1alpha2', plural: 'serviceprofiles', kind: 'ServiceProfile', namespaced: true, builtin: false },
  // Gateway API (standard channel, v1.2+): a cluster has these only once their CRDs are installed.
  { group: 'gateway.networking.k8s.io', version: 'v1', plural: 'httproutes', kind: 'HTTPRoute', namespaced: true, builtin: false },
  { group: 'gateway.networking.k8s.io', version: 'v1', plural: 'grpcroutes', kind: 'GRPCRoute', namespaced: true, builtin: false },
  // Linkerd's policy API (its CRDs, likewise optional).
  { group: 'policy.linkerd.io', version: 'v1beta3', plural: 'servers', kind: 'Server', namespaced: true, builtin: false },
  { group: 'policy.linkerd.io', version: 'v1alpha1', plural: 'authorizationpolicies', kind: 'AuthorizationPolicy', namespaced: true, builtin: false },
  { group: 'policy.linkerd.io', version: 'v1alpha1', plural: 'meshtlsauthentications', kind: 'MeshTLSAuthentication', namespaced: true, builtin: false },
  { group: 'policy.linkerd.io', version: 'v1alpha1', plural: 'networkauthentications', kind: 'NetworkAuthentication', namespaced: true, builtin: false },
  { group: 'policy.linkerd.io', version: 'v1alpha1', plural: 'httplocalratelimitpolicies', kind: 'HTTPLocalRateLimitPolicy', namespaced: true, builtin: false },
];

export function apiVersionOf(resource: ResourceType): string {
  return resource.group === '' ? resource.version : `${resource.group}/${resource.version}`;
}

export function resourceKey(resource: ResourceType): string {
  return `${apiVersionOf(resource)}/${resource.plural}`;
}

/** A parsed request path: which resource, optionally which namespace, object and subresource. */
export interface ResourcePath {
  resource: ResourceType;
  namespace?: string;
  name?: string;
  subresource?: string;
}

/**
 * Understands /api/v1/[namespaces/{ns}/]{plural}[/{name}[/{sub}]] and the same under
 * /apis/{group}/{version}/. Returns undefined for anything else (answered 404).
 */
export function parseResourcePath(pathname: string, resources: readonly ResourceType[]): ResourcePath | undefined {
  const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  let group: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 2) {
    group = '';
    rest = parts.slice(1);
  } else if (parts[0] === 'apis' && parts.length >= 3) {
    group = parts[1] ?? '';
    rest = parts.slice(2);
  } else {
    return undefined;
  }
  const [version, ...tail] = rest;
  let namespace: string | undefined;
  let segments = tail;
  if (tail[0] === 'namespaces' && tail.length >= 3) {
    namespace = tail[1];
    segments = tail.slice(2);
  }
  const [plural, name, subresource, ...extra] = segments;
  if (!plural || extra.length > 0) return undefined;
  const resource = resources.find((r) => r.group === group && r.version === version && r.plural === plural);
  if (!resource) return undefined;
  if (namespace !== undefined && !resource.namespaced) return undefined;
  return {
    resource,
    ...(namespace === undefined ? {} : { namespace }),
    ...(name === undefined ? {} : { name }),
    ...(subresource === undefined ? {} : { subresource }),
  };
}
