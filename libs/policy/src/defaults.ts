import { PolicyError } from './errors';
import { ALL_IPV4, ALL_IPV6, parseCidr, type Cidr } from './ip';
import { AUDIT_AUTHZ_META, DEFAULT_ROUTE_META, MATCH_ALL, type Authentication, type InboundPolicy, type Meta } from './model';

/** Linkerd's default inbound policies (`config.linkerd.io/default-inbound-policy`), plus `audit`. */
export const DEFAULT_POLICY_NAMES = [
  'all-unauthenticated',
  'all-authenticated',
  'cluster-unauthenticated',
  'cluster-authenticated',
  'deny',
  'audit',
] as const;
export type DefaultPolicyName = (typeof DEFAULT_POLICY_NAMES)[number];

/** Linkerd's default `clusterNetworks` (the helm chart's value): the private ranges, RFC 6598 and IPv6 ULA. */
export const DEFAULT_CLUSTER_NETWORKS = '10.0.0.0/8,100.64.0.0/10,172.16.0.0/12,192.168.0.0/16,fd00::/8';

/** Every identity: Linkerd's authenticated default is the empty suffix. */
const ANY_IDENTITY: Authentication = Object.freeze({ kind: 'tls-authenticated', identities: [], suffixes: [[]] });
const ANYONE: Authentication = Object.freeze({ kind: 'unauthenticated' });

export function isDefaultPolicyName(name: string): name is DefaultPolicyName {
  return (DEFAULT_POLICY_NAMES as readonly string[]).includes(name);
}

/** Parses a comma-separated list of CIDRs; throws PolicyError INVALID_CIDR naming the bad one. */
export function parseCidrList(text: string): Cidr[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(parseCidr);
}

function policy(name: string, networks: readonly Cidr[] | undefined, authentication: Authentication | undefined, authzMeta?: Meta): InboundPolicy {
  const meta: Meta = { group: '', kind: 'default', name };
  const authorizations =
    networks === undefined || authentication === undefined
      ? []
      : [{ meta: authzMeta ?? meta, networks: networks.map((net) => ({ net, except: [] })), authentication }];
  return {
    server: meta,
    routes: [{ meta: DEFAULT_ROUTE_META, hosts: [], matches: [MATCH_ALL], authorizations }],
    rateLimit: undefined,
  };
}

/**
 * A default policy as linkerd2-proxy builds it (`app/inbound/src/policy/defaults.rs`): one route for
 * every request, one authorization over all networks or the cluster's, unauthenticated or requiring
 * a mesh identity. `deny` has no authorization; `audit` admits everyone under the audit authorization.
 */
export function defaultPolicy(name: string, clusterNetworks: readonly Cidr[]): InboundPolicy {
  if (!isDefaultPolicyName(name)) {
    throw new PolicyError('UNKNOWN_DEFAULT_POLICY', `"${name}" is not one of ${DEFAULT_POLICY_NAMES.join(', ')}`);
  }
  const all = [ALL_IPV4, ALL_IPV6];
  switch (name) {
    case 'all-unauthenticated':
      return policy(name, all, ANYONE);
    case 'all-authenticated':
      return policy(name, all, ANY_IDENTITY);
    case 'cluster-unauthenticated':
      return policy(name, clusterNetworks, ANYONE);
    case 'cluster-authenticated':
      return policy(name, clusterNetworks, ANY_IDENTITY);
    case 'deny':
      return policy(name, undefined, undefined);
    case 'audit':
      return policy(name, all, ANYONE, AUDIT_AUTHZ_META);
  }
}
