import type { HTTPRoute, LinkerdPolicyKind, LinkerdPolicyResource } from '@trellis/kube';
import { namespaceOf } from '@trellis/kube';
import type { HttpRoute_Filter as OutboundFilter, inbound } from '@trellis/proto';
import type { Cidr } from './cidr';
import { cidrContains, parseCidr } from './cidr';
import type { DefaultInboundPolicy, ProxyProtocolName } from './policy-schema';
import { checkPolicyStructure } from './policy-schema';
import type { TranslatedRoute } from './route-translation';
import { translateRoute } from './route-translation';

export const POLICY_GROUP = 'policy.linkerd.io';
const GATEWAY_GROUP = 'gateway.networking.k8s.io';
const CORE_GROUPS = new Set(['', 'core']);
// Highest requestsPerSecond of a rate limit: the wire field is a uint32 (ours: HttpLocalRateLimit.Limit).
const MAX_REQUESTS_PER_SECOND = 4_294_967_295;

/** Why a policy resource is not accepted; a label of destination_policy_invalid_total. */
export type PolicyInvalidReason = 'Malformed' | 'InvalidCIDR' | 'InvalidRate' | 'UnsupportedValue' | 'NoMatchingTarget' | 'MissingAuthentication';

export interface LabelSelector {
  matchLabels: Record<string, string>;
  matchExpressions: { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values: string[] }[];
}

/** A reference to a namespaced object, its namespace defaulted to the referrer's. */
export interface ObjectRef {
  namespace: string;
  name: string;
}

interface Common {
  namespace: string;
  name: string;
  /** metadata.creationTimestamp ('' when absent): older resources win ties, as in Linkerd. */
  createdAt: string;
}

export interface ServerPolicy extends Common {
  kind: 'Server';
  selector: LabelSelector;
  /** A number, or the name of a container port. */
  port: number | string;
  protocol: ProxyProtocolName;
  /** Authorizations applied on top of the AuthorizationPolicies (Linkerd: accessPolicy, default deny). */
  accessPolicy: DefaultInboundPolicy;
}

export type AuthorizationTarget = { kind: 'Server'; name: string } | { kind: 'HTTPRoute'; name: string } | { kind: 'Namespace' };

export interface AuthorizationPolicyT extends Common {
  kind: 'AuthorizationPolicy';
  target: AuthorizationTarget;
  network?: ObjectRef;
  identity?: { kind: 'MeshTLSAuthentication' | 'ServiceAccount'; ref: ObjectRef };
}

export interface MeshTLSAuthenticationT extends Common {
  kind: 'MeshTLSAuthentication';
  /** Literal identities; `*` and `*.suffix` become suffixes. */
  identities: string[];
  /** Identities of ServiceAccounts (one each) and namespaces (every ServiceAccount of it), spelled with the trust domain when built. */
  refs: { kind: 'ServiceAccount' | 'Namespace'; ref: ObjectRef }[];
}

export interface NetworkAuthenticationT extends Common {
  kind: 'NetworkAuthentication';
  networks: { net: Cidr; except: Cidr[] }[];
}

export interface RateLimitT extends Common {
  kind: 'HTTPLocalRateLimitPolicy';
  server: string;
  total?: number;
  identity?: number;
  /** ServiceAccounts per override, spelled with the trust domain when built. */
  overrides: { requestsPerSecond: number; clients: ObjectRef[] }[];
}

export type PolicyT = ServerPolicy | AuthorizationPolicyT | MeshTLSAuthenticationT | NetworkAuthenticationT | RateLimitT;

/** An HTTPRoute (policy.linkerd.io or gateway.networking.k8s.io) attached to Servers: an authorization target. */
export interface InboundRouteT extends Common {
  kind: 'HTTPRoute';
  group: string;
  /** Names of the Servers (in the route's namespace) it is attached to. */
  servers: string[];
  hosts: inbound.HttpRoute['hosts'];
  rules: inbound.HttpRoute_Rule[];
}

export type Translation<T> = { ok: true; value: T } | { ok: false; reason: PolicyInvalidReason; message: string };

class PolicyProblem extends Error {
  constructor(
    readonly reason: PolicyInvalidReason,
    message: string,
  ) {
    super(message);
  }
}

interface RawRef {
  group?: string;
  kind: string;
  name: string;
  namespace?: string;
}

const groupOf = (ref: RawRef) => ref.group ?? '';

function cidr(text: string, where: string): Cidr {
  const parsed = parseCidr(text);
  if (!parsed.ok) throw new PolicyProblem('InvalidCIDR', `${where}: ${parsed.reason}`);
  return parsed.cidr;
}

function rate(value: number, where: string): number {
  if (!(value >= 1 && value <= MAX_REQUESTS_PER_SECOND)) {
    throw new PolicyProblem('InvalidRate', `${where}: requestsPerSecond must be from 1 to ${MAX_REQUESTS_PER_SECOND}, got ${value}`);
  }
  return value;
}

function selector(raw: Partial<LabelSelector> | undefined): LabelSelector {
  return {
    matchLabels: raw?.matchLabels ?? {},
    matchExpressions: (raw?.matchExpressions ?? []).map((e) => ({ key: e.key, operator: e.operator, values: e.values ?? [] })),
  };
}

function server(spec: Record<string, unknown>, common: Common): ServerPolicy {
  const raw = spec as { podSelector: Partial<LabelSelector>; port: number | string; proxyProtocol?: ProxyProtocolName; accessPolicy?: DefaultInboundPolicy };
  for (const [i, e] of (raw.podSelector.matchExpressions ?? []).entries()) {
    const needsValues = e.operator === 'In' || e.operator === 'NotIn';
    if (needsValues !== (e.values !== undefined && e.values.length > 0)) {
      throw new PolicyProblem('Malformed', `spec.podSelector.matchExpressions[${i}]: ${e.operator} ${needsValues ? 'needs' : 'takes no'} values`);
    }
  }
  // Linkerd: a Server without accessPolicy denies what no AuthorizationPolicy allows.
  return { kind: 'Server', ...common, selector: selector(raw.podSelector), port: raw.port, protocol: raw.proxyProtocol ?? 'unknown', accessPolicy: raw.accessPolicy ?? 'deny' };
}

function authorizationTarget(ref: RawRef, namespace: string): AuthorizationTarget {
  if ((ref.namespace ?? namespace) !== namespace) throw new PolicyProblem('UnsupportedValue', `spec.targetRef: the target must be in the policy's namespace ${namespace}`);
  if (ref.kind === 'Server' && groupOf(ref) === POLICY_GROUP) return { kind: 'Server', name: ref.name };
  if (ref.kind === 'HTTPRoute' && (groupOf(ref) === POLICY_GROUP || groupOf(ref) === GATEWAY_GROUP)) return { kind: 'HTTPRoute', name: ref.name };
  if (ref.kind === 'Namespace' && CORE_GROUPS.has(groupOf(ref))) {
    if (ref.name !== namespace) throw new PolicyProblem('UnsupportedValue', `spec.targetRef: a Namespace target must name the policy's own namespace ${namespace}`);
    return { kind: 'Namespace' };
  }
  throw new PolicyProblem(
    'UnsupportedValue',
    `spec.targetRef: ${groupOf(ref) || 'core'}/${ref.kind} is not a target (policy.linkerd.io Server, policy.linkerd.io or gateway.networking.k8s.io HTTPRoute, or Namespace)`,
  );
}

function authorizationPolicy(spec: Record<string, unknown>, common: Common): AuthorizationPolicyT {
  const raw = spec as { targetRef: RawRef; requiredAuthenticationRefs: RawRef[] };
  const policy: AuthorizationPolicyT = { kind: 'AuthorizationPolicy', ...common, target: authorizationTarget(raw.targetRef, common.namespace) };
  for (const [i, ref] of raw.requiredAuthenticationRefs.entries()) {
    const where = `spec.requiredAuthenticationRefs[${i}]`;
    const target = { namespace: ref.namespace ?? common.namespace, name: ref.name };
    if (ref.kind === 'NetworkAuthentication' && groupOf(ref) === POLICY_GROUP) {
      if (policy.network) throw new PolicyProblem('UnsupportedValue', `${where}: at most one NetworkAuthentication may be required`);
      policy.network = target;
    } else if ((ref.kind === 'MeshTLSAuthentication' && groupOf(ref) === POLICY_GROUP) || (ref.kind === 'ServiceAccount' && CORE_GROUPS.has(groupOf(ref)))) {
      if (policy.identity) throw new PolicyProblem('UnsupportedValue', `${where}: at most one MeshTLSAuthentication or ServiceAccount may be required`);
      policy.identity = { kind: ref.kind, ref: target };
    } else {
      throw new PolicyProblem('UnsupportedValue', `${where}: ${groupOf(ref) || 'core'}/${ref.kind} is not an authentication (policy.linkerd.io MeshTLSAuthentication or NetworkAuthentication, or ServiceAccount)`);
    }
  }
  return policy;
}

function meshTLS(spec: Record<string, unknown>, common: Common): MeshTLSAuthenticationT {
  const raw = spec as { identities?: string[]; identityRefs?: RawRef[] };
  const identities = raw.identities ?? [];
  const refs = raw.identityRefs ?? [];
  if ((identities.length > 0) === (refs.length > 0)) throw new PolicyProblem('Malformed', 'spec needs exactly one of identities and identityRefs, non-empty');
  for (const [i, identity] of identities.entries()) {
    if (identity.includes('*', identity.startsWith('*') ? 1 : 0)) {
      throw new PolicyProblem('Malformed', `spec.identities[${i}]: a wildcard is allowed only as the whole identity (*) or its first label (*.suffix)`);
    }
  }
  return {
    kind: 'MeshTLSAuthentication',
    ...common,
    identities,
    refs: refs.map((ref, i) => {
      if (!CORE_GROUPS.has(groupOf(ref)) || (ref.kind !== 'ServiceAccount' && ref.kind !== 'Namespace')) {
        throw new PolicyProblem('UnsupportedValue', `spec.identityRefs[${i}]: ${groupOf(ref) || 'core'}/${ref.kind} is not a ServiceAccount or Namespace`);
      }
      return { kind: ref.kind, ref: { namespace: ref.kind === 'Namespace' ? ref.name : (ref.namespace ?? common.namespace), name: ref.name } };
    }),
  };
}

function networkAuthentication(spec: Record<string, unknown>, common: Common): NetworkAuthenticationT {
  const raw = spec as { networks: { cidr: string; except?: string[] }[] };
  return {
    kind: 'NetworkAuthentication',
    ...common,
    networks: raw.networks.map((network, i) => {
      const where = `spec.networks[${i}]`;
      const net = cidr(network.cidr, `${where}.cidr`);
      const except = (network.except ?? []).map((text, j) => {
        const block = cidr(text, `${where}.except[${j}]`);
        if (!cidrContains(net, block)) throw new PolicyProblem('InvalidCIDR', `${where}.except[${j}]: ${block.text} is not inside ${net.text}`);
        return block;
      });
      return { net, except };
    }),
  };
}

function serviceAccounts(refs: RawRef[], namespace: string, where: string): ObjectRef[] {
  return refs.map((ref, i) => {
    if (ref.kind !== 'ServiceAccount' || !CORE_GROUPS.has(groupOf(ref))) {
      throw new PolicyProblem('UnsupportedValue', `${where}.clientRefs[${i}]: ${groupOf(ref) || 'core'}/${ref.kind} is not a ServiceAccount`);
    }
    return { namespace: ref.namespace ?? namespace, name: ref.name };
  });
}

function rateLimit(spec: Record<string, unknown>, common: Common): RateLimitT {
  const raw = spec as {
    targetRef: RawRef;
    total?: { requestsPerSecond: number };
    identity?: { requestsPerSecond: number };
    overrides?: { requestsPerSecond: number; clientRefs: RawRef[] }[];
  };
  const target = raw.targetRef;
  if (target.kind !== 'Server' || groupOf(target) !== POLICY_GROUP || (target.namespace ?? common.namespace) !== common.namespace) {
    throw new PolicyProblem('UnsupportedValue', `spec.targetRef: must be a policy.linkerd.io Server in namespace ${common.namespace}`);
  }
  const total = raw.total ? rate(raw.total.requestsPerSecond, 'spec.total') : undefined;
  // Linkerd: a per-identity or override limit above the total could never be reached.
  const withinTotal = (value: number, where: string) => {
    if (total !== undefined && value > total) throw new PolicyProblem('InvalidRate', `${where}: requestsPerSecond ${value} is above the total ${total}`);
    return value;
  };
  return {
    kind: 'HTTPLocalRateLimitPolicy',
    ...common,
    server: target.name,
    ...(total === undefined ? {} : { total }),
    ...(raw.identity ? { identity: withinTotal(rate(raw.identity.requestsPerSecond, 'spec.identity'), 'spec.identity') } : {}),
    overrides: (raw.overrides ?? []).map((o, i) => ({
      requestsPerSecond: withinTotal(rate(o.requestsPerSecond, `spec.overrides[${i}]`), `spec.overrides[${i}]`),
      clients: serviceAccounts(o.clientRefs, common.namespace, `spec.overrides[${i}]`),
    })),
  };
}

const TRANSLATORS: Record<LinkerdPolicyKind, (spec: Record<string, unknown>, common: Common) => PolicyT> = {
  Server: server,
  AuthorizationPolicy: authorizationPolicy,
  MeshTLSAuthentication: meshTLS,
  NetworkAuthentication: networkAuthentication,
  HTTPLocalRateLimitPolicy: rateLimit,
};

/**
 * Validates (schema, then semantics) and translates one policy.linkerd.io resource on its own. Pure: whether
 * the objects it references exist is decided by the inbound watcher.
 */
export function translatePolicy(kind: LinkerdPolicyKind, resource: LinkerdPolicyResource): Translation<PolicyT> {
  const structural = checkPolicyStructure(kind, resource.spec);
  if (structural) return { ok: false, reason: 'Malformed', message: structural };
  const common: Common = { namespace: namespaceOf(resource), name: resource.metadata.name, createdAt: resource.metadata.creationTimestamp ?? '' };
  try {
    return { ok: true, value: TRANSLATORS[kind](resource.spec as Record<string, unknown>, common) };
  } catch (err) {
    if (err instanceof PolicyProblem) return { ok: false, reason: err.reason, message: err.message };
    throw err;
  }
}

/** Names of the Servers an HTTPRoute's parentRefs name (group policy.linkerd.io, kind Server, same namespace). */
export function serverParents(route: HTTPRoute): string[] {
  const refs: unknown = route.spec?.parentRefs;
  if (!Array.isArray(refs)) return [];
  const namespace = namespaceOf(route);
  return (refs as Partial<RawRef>[])
    .filter((p) => typeof p === 'object' && p !== null && typeof p.name === 'string')
    .filter((p) => p.group === POLICY_GROUP && p.kind === 'Server' && (p.namespace ?? namespace) === namespace)
    .map((p) => p.name as string);
}

function inboundFilter(filter: OutboundFilter, where: string): inbound.HttpRoute_Filter {
  const kind = filter.kind;
  if (kind?.$case === 'requestHeaderModifier') return { kind: { $case: 'requestHeaderModifier', value: kind.value } };
  if (kind?.$case === 'redirect') return { kind: { $case: 'redirect', value: kind.value } };
  throw new PolicyProblem('UnsupportedValue', `${where}: only RequestHeaderModifier and RequestRedirect filters apply to a Server's route`);
}

/**
 * An HTTPRoute whose parents include a Server, as an inbound route: its matches, hosts and filters (backendRefs
 * play no part inbound). `undefined` when the route names no Server. A route Gateway API rejects (malformed) is
 * reported by the outbound side already and comes back here as a rejection without a new report.
 */
export function translateInboundRoute(route: HTTPRoute): Translation<InboundRouteT> | undefined {
  const servers = serverParents(route);
  if (servers.length === 0) return undefined;
  const translated = translateRoute('HTTPRoute', route);
  if (!translated.ok) return { ok: false, reason: 'Malformed', message: translated.message };
  const group = route.apiVersion.split('/')[0] === POLICY_GROUP ? POLICY_GROUP : GATEWAY_GROUP;
  try {
    return { ok: true, value: inboundRoute(translated.route, group, servers) };
  } catch (err) {
    if (err instanceof PolicyProblem) return { ok: false, reason: err.reason, message: err.message };
    throw err;
  }
}

function inboundRoute(route: TranslatedRoute, group: string, servers: string[]): InboundRouteT {
  return {
    kind: 'HTTPRoute',
    namespace: route.namespace,
    name: route.name,
    createdAt: route.createdAt,
    group,
    servers,
    hosts: route.hosts,
    rules: route.http.map((rule, i) => ({
      matches: rule.matches,
      filters: rule.filters.map((f, j) => inboundFilter(f, `spec.rules[${i}].filters[${j}]`)),
    })),
  };
}
