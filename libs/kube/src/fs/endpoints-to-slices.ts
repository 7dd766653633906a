import type { Endpoint, EndpointAddress, EndpointSlice, Endpoints } from '../model';
import { API_VERSIONS, SERVICE_NAME_LABEL } from '../model';

// What Kubernetes' EndpointSlice mirroring controller sets on the slices it makes from Endpoints.
const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
const MIRRORING_CONTROLLER = 'endpointslicemirroring-controller.k8s.io';

function addressType(ip: string): 'IPv4' | 'IPv6' {
  return ip.includes(':') ? 'IPv6' : 'IPv4';
}

function toEndpoint(address: EndpointAddress, ready: boolean): Endpoint {
  const endpoint: Endpoint = { addresses: [address.ip], conditions: { ready, serving: ready, terminating: false } };
  if (address.targetRef) endpoint.targetRef = address.targetRef;
  if (address.nodeName) endpoint.nodeName = address.nodeName;
  if (address.hostname) endpoint.hostname = address.hostname;
  return endpoint;
}

/**
 * Converts legacy v1 Endpoints into EndpointSlices the way Kubernetes mirrors them: one slice per
 * subset and address family, named `<endpoints>-mirror-<n>`, labelled with the Service name.
 * Not-ready addresses become endpoints with ready=false.
 */
export function endpointsToSlices(endpoints: Endpoints): EndpointSlice[] {
  const { name, namespace } = endpoints.metadata;
  const slices: EndpointSlice[] = [];
  for (const subset of endpoints.subsets ?? []) {
    const byFamily = new Map<'IPv4' | 'IPv6', Endpoint[]>();
    const add = (address: EndpointAddress, ready: boolean) => {
      const family = addressType(address.ip);
      const list = byFamily.get(family) ?? [];
      list.push(toEndpoint(address, ready));
      byFamily.set(family, list);
    };
    for (const address of subset.addresses ?? []) add(address, true);
    for (const address of subset.notReadyAddresses ?? []) add(address, false);
    for (const [family, list] of byFamily) {
      slices.push({
        apiVersion: API_VERSIONS.EndpointSlice,
        kind: 'EndpointSlice',
        metadata: {
          name: `${name}-mirror-${slices.length}`,
          ...(namespace === undefined ? {} : { namespace }),
          labels: { ...endpoints.metadata.labels, [SERVICE_NAME_LABEL]: name, [MANAGED_BY_LABEL]: MIRRORING_CONTROLLER },
        },
        addressType: family,
        endpoints: list,
        ports: (subset.ports ?? []).map((p) => ({ ...p })),
      });
    }
  }
  return slices;
}
