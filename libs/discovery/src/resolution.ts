import type { Update, WeightedAddr } from '@trellis/proto';
import { addressId, toSocketAddress, type SocketAddress } from './tcp-address';

/** linkerd2-proxy-api: the weight the destination service gives an endpoint by default. */
export const DEFAULT_ENDPOINT_WEIGHT = 10_000;

export interface ResolvedEndpoint extends SocketAddress {
  id: string;
  weight: number;
  /** The set's metric labels overlaid with the endpoint's own. */
  labels: Readonly<Record<string, string>>;
  /** The destination says the endpoint speaks HTTP/2 (protocol hint). */
  h2: boolean;
  /** The endpoint's workload identity (`tls_identity`): connections to it use mutual TLS and must prove it. */
  identity: string | undefined;
}

export type Resolution =
  /** The service exists; `endpoints` may be empty (for instance while scaled to zero). */
  | { kind: 'endpoints'; endpoints: ReadonlyMap<string, ResolvedEndpoint> }
  /** `no_endpoints{exists:false}` or an authority the destination rejects: not in the mesh. */
  | { kind: 'not-found' };

export const NOT_FOUND: Resolution = Object.freeze({ kind: 'not-found' });

/** The DNS-like identity of an endpoint, as Linkerd's destination sends it; URI-like identities are not used. */
function identityOf(addr: WeightedAddr): string | undefined {
  const strategy = addr.tlsIdentity?.strategy;
  return strategy?.$case === 'dnsLikeIdentity' && strategy.value.name !== '' ? strategy.value.name : undefined;
}

function toEndpoint(addr: WeightedAddr, setLabels: Record<string, string>): ResolvedEndpoint | null {
  const socket = toSocketAddress(addr.addr);
  if (socket === null) return null;
  return {
    ...socket,
    id: addressId(socket),
    weight: addr.weight > 0 ? addr.weight : DEFAULT_ENDPOINT_WEIGHT,
    labels: { ...setLabels, ...addr.metricLabels },
    h2: addr.protocolHint?.protocol?.$case === 'h2',
    identity: identityOf(addr),
  };
}

/**
 * Folds one `Get` update into the current resolution. The first message of a stream replaces
 * whatever came before (`previous` is then undefined), so endpoints that disappeared while the
 * stream was down are dropped; later messages are diffs. Addresses without an IP are ignored.
 */
export function applyResolutionUpdate(previous: Resolution | undefined, update: Update): Resolution {
  const u = update.update;
  if (u === undefined) return previous ?? { kind: 'endpoints', endpoints: new Map() };
  const base = previous?.kind === 'endpoints' ? previous.endpoints : new Map<string, ResolvedEndpoint>();
  switch (u.$case) {
    case 'noEndpoints':
      return u.value.exists ? { kind: 'endpoints', endpoints: new Map() } : NOT_FOUND;
    case 'add': {
      const next = new Map(base);
      for (const addr of u.value.addrs) {
        const endpoint = toEndpoint(addr, u.value.metricLabels);
        if (endpoint !== null) next.set(endpoint.id, endpoint);
      }
      return { kind: 'endpoints', endpoints: next };
    }
    case 'remove': {
      const next = new Map(base);
      for (const addr of u.value.addrs) {
        const socket = toSocketAddress(addr);
        if (socket !== null) next.delete(addressId(socket));
      }
      return { kind: 'endpoints', endpoints: next };
    }
  }
}
