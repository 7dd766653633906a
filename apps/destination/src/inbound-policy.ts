import type { Pod } from '@trellis/kube';
import { namespaceOf } from '@trellis/kube';
import type { Metadata, inbound } from '@trellis/proto';
import type { Cidr } from './cidr';
import { parseCidr, toIpNetwork } from './cidr';
import { DEFAULT_INBOUND_POLICY_ANNOTATION, POLICY_DETECT_TIMEOUT_MS } from './defaults';
import { nanosToDuration } from './go-duration';
import type { DefaultInboundPolicy } from './policy-schema';
import { DEFAULT_INBOUND_POLICIES } from './policy-schema';
import type {
  AuthorizationPolicyT,
  InboundRouteT,
  LabelSelector,
  MeshTLSAuthenticationT,
  NetworkAuthenticationT,
  ObjectRef,
  RateLimitT,
  ServerPolicy,
} from './policy-translation';
import { POLICY_GROUP } from './policy-translation';

/** The accepted policy resources, as the inbound watcher holds them. */
export interface InboundIndex {
  servers: Iterable<ServerPolicy>;
  authorizations: Iterable<AuthorizationPolicyT>;
  meshTLS(ref: ObjectRef): MeshTLSAuthenticationT | undefined;
  networks(ref: ObjectRef): NetworkAuthenticationT | undefined;
  routes: Iterable<InboundRouteT>;
  rateLimits: Iterable<RateLimitT>;
}

export interface InboundOptions {
  /** The default policy of ports no Server selects, unless the pod's annotation names another. */
  defaultPolicy: DefaultInboundPolicy;
  /** What cluster-* default policies admit. */
  clusterNetworks: Cidr[];
  /** Spells ServiceAccount identities: <sa>.<ns>.serviceaccount.identity.<trustDomain>. */
  trustDomain: string;
}

const ALL_NETWORKS: Cidr[] = ['0.0.0.0/0', '::/0'].map((text) => {
  const parsed = parseCidr(text);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.cidr;
});
const detectTimeout = () => nanosToDuration(BigInt(POLICY_DETECT_TIMEOUT_MS) * 1_000_000n);

function resource(kind: string, name: string, namespace: string): Metadata {
  return { kind: { $case: 'resource', value: { group: POLICY_GROUP, kind, name, namespace, section: '', port: 0 } } };
}

/** Whether a pod's labels satisfy a Kubernetes label selector (an empty selector selects every pod). */
export function selects(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  if (!Object.entries(selector.matchLabels).every(([key, value]) => labels[key] === value)) return false;
  return selector.matchExpressions.every(({ key, operator, values }) => {
    const value = labels[key];
    switch (operator) {
      case 'In':
        return value !== undefined && values.includes(value);
      case 'NotIn':
        return value === undefined || !values.includes(value);
      case 'Exists':
        return value !== undefined;
      case 'DoesNotExist':
        return value === undefined;
    }
  });
}

/** A Server's port: a number, or a container port of the pod by name. */
function portMatches(server: ServerPolicy, pod: Pod, port: number): boolean {
  if (typeof server.port === 'number') return server.port === port;
  return (pod.spec?.containers ?? []).some((c) => (c.ports ?? []).some((p) => p.name === server.port && p.containerPort === port));
}

// Oldest first; resources without a creation time (fs manifests) after those with one, then by name (Linkerd's order).
const byAge = (a: { createdAt: string; name: string }, b: { createdAt: string; name: string }) =>
  Number(a.createdAt === '') - Number(b.createdAt === '') || a.createdAt.localeCompare(b.createdAt) || a.name.localeCompare(b.name);

export const serviceAccountIdentity = (ref: ObjectRef, trustDomain: string) => `${ref.name}.${ref.namespace}.serviceaccount.identity.${trustDomain}`;

function identityMatch(identity: string): { identity?: inbound.Identity; suffix?: inbound.IdentitySuffix } {
  if (identity === '*') return { suffix: { parts: [] } };
  if (identity.startsWith('*.')) return { suffix: { parts: identity.slice(2).split('.') } };
  return { identity: { name: identity } };
}

function meshTLSClients(authn: MeshTLSAuthenticationT, trustDomain: string): inbound.Authn_PermitMeshTLS_PermitClientIdentities {
  const identities: inbound.Identity[] = [];
  const suffixes: inbound.IdentitySuffix[] = [];
  for (const text of authn.identities) {
    const match = identityMatch(text);
    if (match.identity) identities.push(match.identity);
    if (match.suffix) suffixes.push(match.suffix);
  }
  for (const { kind, ref } of authn.refs) {
    if (kind === 'ServiceAccount') identities.push({ name: serviceAccountIdentity(ref, trustDomain) });
    else suffixes.push({ parts: [ref.namespace, 'serviceaccount', 'identity', ...trustDomain.split('.')] });
  }
  return { identities, suffixes };
}

const network = (net: Cidr, except: Cidr[] = []): inbound.Network => ({ net: toIpNetwork(net), except: except.map(toIpNetwork) });
const unauthenticated = (): inbound.Authn => ({ permit: { $case: 'unauthenticated', value: {} } });
const anyIdentity = (): inbound.Authn => ({ permit: { $case: 'meshTLS', value: { clients: { $case: 'identities', value: { identities: [], suffixes: [{ parts: [] }] } } } } });

/**
 * One AuthorizationPolicy as an Authz; undefined when an authentication it requires no longer exists (the
 * authorization then admits nobody: fail closed).
 */
function authorization(policy: AuthorizationPolicyT, index: InboundIndex, options: InboundOptions): inbound.Authz | undefined {
  let networks = ALL_NETWORKS.map((net) => network(net));
  if (policy.network) {
    const authn = index.networks(policy.network);
    if (!authn) return undefined;
    networks = authn.networks.map((n) => network(n.net, n.except));
  }
  let authentication = unauthenticated();
  if (policy.identity?.kind === 'ServiceAccount') {
    const name = serviceAccountIdentity(policy.identity.ref, options.trustDomain);
    authentication = { permit: { $case: 'meshTLS', value: { clients: { $case: 'identities', value: { identities: [{ name }], suffixes: [] } } } } };
  } else if (policy.identity) {
    const authn = index.meshTLS(policy.identity.ref);
    if (!authn) return undefined;
    authentication = { permit: { $case: 'meshTLS', value: { clients: { $case: 'identities', value: meshTLSClients(authn, options.trustDomain) } } } };
  }
  return {
    networks,
    authentication,
    labels: { group: POLICY_GROUP, kind: 'authorizationpolicy', name: policy.name },
    metadata: resource('AuthorizationPolicy', policy.name, policy.namespace),
  };
}

/**
 * The authorizations of a default policy (Linkerd's names); `deny` has none. `audit` admits everyone like
 * all-unauthenticated, under an authorization the proxy recognises by its name and logs.
 */
export function defaultAuthorizations(policy: DefaultInboundPolicy, clusterNetworks: Cidr[]): inbound.Authz[] {
  if (policy === 'deny') return [];
  const networks = (policy.startsWith('cluster-') ? clusterNetworks : ALL_NETWORKS).map((net) => network(net));
  return [
    {
      networks,
      authentication: policy.endsWith('-authenticated') ? anyIdentity() : unauthenticated(),
      labels: { group: '', kind: 'default', name: policy },
      metadata: { kind: { $case: 'default', value: policy } },
    },
  ];
}

// Every route carries the Server's authorizations followed by its own: a proxy authorizes a request against
// the authorizations of the route it matched, so the Server's are copied into each route (the Server's own
// list stays set too, for opaque and TLS ports and for proxies that read it).
const defaultHttpRoute = (authorizations: inbound.Authz[]): inbound.HttpRoute => ({
  metadata: { kind: { $case: 'default', value: 'default' } },
  hosts: [],
  authorizations,
  rules: [{ matches: [{ path: { kind: { $case: 'prefix', value: '/' } }, headers: [], queryParams: [] }], filters: [] }],
});

const defaultGrpcRoute = (authorizations: inbound.Authz[]): inbound.GrpcRoute => ({
  metadata: { kind: { $case: 'default', value: 'default' } },
  hosts: [],
  authorizations,
  rules: [{ matches: [{ headers: [] }], filters: [] }],
});

function protocol(server: ServerPolicy, httpRoutes: inbound.HttpRoute[], authorizations: inbound.Authz[]): inbound.ProxyProtocol {
  const routes = httpRoutes.length > 0 ? httpRoutes : [defaultHttpRoute(authorizations)];
  switch (server.protocol) {
    case 'HTTP/1':
      return { kind: { $case: 'http1', value: { routes } } };
    case 'HTTP/2':
      return { kind: { $case: 'http2', value: { routes } } };
    case 'gRPC':
      return { kind: { $case: 'grpc', value: { routes: [defaultGrpcRoute(authorizations)] } } };
    case 'opaque':
      return { kind: { $case: 'opaque', value: {} } };
    case 'TLS':
      return { kind: { $case: 'tls', value: {} } };
    case 'unknown':
      return { kind: { $case: 'detect', value: { timeout: detectTimeout(), httpRoutes: routes } } };
  }
}

function rateLimitOf(policy: RateLimitT, trustDomain: string): inbound.HttpLocalRateLimit {
  return {
    metadata: resource('HTTPLocalRateLimitPolicy', policy.name, policy.namespace),
    ...(policy.total === undefined ? {} : { total: { requestsPerSecond: policy.total } }),
    ...(policy.identity === undefined ? {} : { identity: { requestsPerSecond: policy.identity } }),
    overrides: policy.overrides.map((o) => ({
      limit: { requestsPerSecond: o.requestsPerSecond },
      clients: { identities: o.clients.map((ref) => ({ name: serviceAccountIdentity(ref, trustDomain) })) },
    })),
  };
}

function serverMessage(server: ServerPolicy, index: InboundIndex, options: InboundOptions): inbound.Server {
  const authorizationsFor = (matches: (p: AuthorizationPolicyT) => boolean) =>
    [...index.authorizations]
      .filter((p) => p.namespace === server.namespace && matches(p))
      .sort(byAge)
      .flatMap((p) => authorization(p, index, options) ?? []);
  const serverAuthz = [
    ...authorizationsFor((p) => p.target.kind === 'Namespace' || (p.target.kind === 'Server' && p.target.name === server.name)),
    ...defaultAuthorizations(server.accessPolicy, options.clusterNetworks),
  ];
  const routes = [...index.routes]
    .filter((r) => r.namespace === server.namespace && r.servers.includes(server.name))
    .sort(byAge)
    .map(
      (r): inbound.HttpRoute => ({
        metadata: { kind: { $case: 'resource', value: { group: r.group, kind: 'HTTPRoute', name: r.name, namespace: r.namespace, section: '', port: 0 } } },
        hosts: r.hosts,
        authorizations: [...serverAuthz, ...authorizationsFor((p) => p.target.kind === 'HTTPRoute' && p.target.name === r.name)],
        rules: r.rules,
      }),
    );
  const limit = [...index.rateLimits].filter((l) => l.namespace === server.namespace && l.server === server.name).sort(byAge)[0];
  return {
    protocol: protocol(server, routes, serverAuthz),
    serverIps: [],
    authorizations: serverAuthz,
    labels: { group: POLICY_GROUP, kind: 'server', name: server.name },
    ...(limit ? { httpLocalRateLimit: rateLimitOf(limit, options.trustDomain) } : {}),
  };
}

/** The pod's default policy: its annotation when it names one of Linkerd's policies, else the flag's. */
export function defaultPolicyOf(pod: Pod | undefined, fallback: DefaultInboundPolicy): DefaultInboundPolicy {
  const annotated = pod?.metadata.annotations?.[DEFAULT_INBOUND_POLICY_ANNOTATION];
  return (DEFAULT_INBOUND_POLICIES as readonly string[]).includes(annotated ?? '') ? (annotated as DefaultInboundPolicy) : fallback;
}

/** The Server message for a port no Server selects: protocol detection and the default policy. */
export function defaultServer(policy: DefaultInboundPolicy, clusterNetworks: Cidr[]): inbound.Server {
  const authorizations = defaultAuthorizations(policy, clusterNetworks);
  return {
    protocol: { kind: { $case: 'detect', value: { timeout: detectTimeout(), httpRoutes: [defaultHttpRoute(authorizations)] } } },
    serverIps: [],
    authorizations,
    labels: { group: '', kind: 'default', name: policy },
  };
}

/**
 * The inbound policy of one pod port: the oldest Server in the pod's namespace whose selector picks the pod and
 * whose port is this one, with its authorizations, routes and rate limit; else the default policy. A pod the
 * index does not know (yet) gets the flag's default policy.
 */
export function buildInboundServer(pod: Pod | undefined, port: number, index: InboundIndex, options: InboundOptions): inbound.Server {
  if (pod) {
    const namespace = namespaceOf(pod);
    const labels = pod.metadata.labels ?? {};
    const server = [...index.servers].filter((s) => s.namespace === namespace && selects(s.selector, labels) && portMatches(s, pod, port)).sort(byAge)[0];
    if (server) return serverMessage(server, index, options);
  }
  return defaultServer(defaultPolicyOf(pod, options.defaultPolicy), options.clusterNetworks);
}
