import type { HTTPRoute, KubeObject, Pod } from '@trellis/kube';
import type { inbound } from '@trellis/proto';
import { describe, expect, it } from 'vitest';
import { parseCidrList } from './cidr';
import type { InboundRequest } from './inbound-watcher';
import { InboundWatcher } from './inbound-watcher';
import { createMemorySource } from './memory-source';
import { PodIndex } from './pod-index';

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
const networks = parseCidrList('10.0.0.0/8');
if (!networks.ok) throw new Error(networks.reason);

const API_POD: Pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'api-0', namespace: 'shop', labels: { app: 'api' } },
  spec: { containers: [{ name: 'app', ports: [{ containerPort: 8080 }] }] },
};
const REQUEST: InboundRequest = { namespace: 'shop', pod: 'api-0', port: 8080 };

const policy = (kind: string, name: string, spec: object): KubeObject & { spec: object } => ({
  apiVersion: kind === 'Server' ? 'policy.linkerd.io/v1beta3' : 'policy.linkerd.io/v1alpha1',
  kind,
  metadata: { name, namespace: 'shop' },
  spec,
});
const SERVER = policy('Server', 'api-http', { podSelector: { matchLabels: { app: 'api' } }, port: 8080, proxyProtocol: 'HTTP/1' });
const AUTHZ = policy('AuthorizationPolicy', 'lan-to-api', {
  targetRef: { group: 'policy.linkerd.io', kind: 'Server', name: 'api-http' },
  requiredAuthenticationRefs: [{ group: 'policy.linkerd.io', kind: 'NetworkAuthentication', name: 'lan' }],
});
const lan = (cidr: string) => policy('NetworkAuthentication', 'lan', { networks: [{ cidr }] });
const limit = (requestsPerSecond: number, server = 'api-http') =>
  policy('HTTPLocalRateLimitPolicy', 'limit', { targetRef: { group: 'policy.linkerd.io', kind: 'Server', name: server }, total: { requestsPerSecond } });

function setup() {
  const memory = createMemorySource();
  memory.put(API_POD);
  const pods = new PodIndex(memory.source.pods);
  const invalid: string[] = [];
  const watcher = new InboundWatcher(memory.source, pods, { defaultPolicy: 'all-unauthenticated', clusterNetworks: networks.ok ? networks.cidrs : [], trustDomain: 'cluster.local' }, {
    invalidPolicy: (kind, namespace, name, reason) => invalid.push(`${kind} ${namespace}/${name} ${reason}`),
  });
  watcher.load();
  const messages: inbound.Server[] = [];
  const sub = watcher.subscribe(REQUEST, (m) => messages.push(m));
  messages.push(sub.initial);
  return { memory, watcher, invalid, messages, pods };
}

const cidrOf = (m: inbound.Server | undefined) => {
  const ip = m?.authorizations[0]?.networks[0]?.net?.ip?.ip;
  return ip?.$case === 'ipv4' ? `${ip.value >>> 24}.${(ip.value >>> 16) & 255}.${(ip.value >>> 8) & 255}.${ip.value & 255}` : undefined;
};

describe('InboundWatcher', () => {
  it('shares one Server object between the streams of one pod port', () => {
    const { watcher, messages } = setup();
    const second = watcher.subscribe(REQUEST, () => undefined);
    expect(second.initial).toBe(messages[0]);
    second.unsubscribe();
  });

  it('applies a Server, then its AuthorizationPolicy once the authentication it requires exists; one message per change', async () => {
    const { memory, messages, invalid } = setup();
    expect(messages.at(-1)?.labels.name).toBe('all-unauthenticated');
    memory.put(SERVER);
    await nextTurn();
    expect(messages.at(-1)?.labels.name).toBe('api-http');
    expect(messages.at(-1)?.authorizations).toEqual([]);
    memory.put(AUTHZ);
    await nextTurn();
    expect(invalid).toEqual(['AuthorizationPolicy shop/lan-to-api MissingAuthentication']);
    const before = messages.length;
    memory.put(lan('10.0.0.0/8'));
    await nextTurn();
    expect(messages.length).toBe(before + 1);
    expect(cidrOf(messages.at(-1))).toBe('10.0.0.0');
  });

  it('keeps the last valid version of a resource when a new one is malformed (a bad CIDR), and counts it once', async () => {
    const { memory, messages, invalid } = setup();
    memory.put(SERVER);
    memory.put(lan('10.0.0.0/8'));
    memory.put(AUTHZ);
    await nextTurn();
    const good = messages.length;
    memory.put(lan('10.0.0.0/33'));
    memory.put(lan('10.0.0.0/33'));
    await nextTurn();
    expect(invalid).toEqual(['NetworkAuthentication shop/lan InvalidCIDR']);
    expect(messages.length).toBe(good);
    expect(cidrOf(messages.at(-1))).toBe('10.0.0.0');
    memory.put(lan('192.168.0.0/16'));
    await nextTurn();
    expect(cidrOf(messages.at(-1))).toBe('192.168.0.0');
  });

  it('rejects a negative rate and a policy naming a missing Server; the rate limit in force stays', async () => {
    const { memory, messages, invalid } = setup();
    memory.put(SERVER);
    memory.put(limit(100));
    await nextTurn();
    expect(messages.at(-1)?.httpLocalRateLimit?.total).toEqual({ requestsPerSecond: 100 });
    memory.put(limit(-1));
    await nextTurn();
    memory.put(limit(50, 'no-such-server'));
    await nextTurn();
    expect(invalid).toEqual(['HTTPLocalRateLimitPolicy shop/limit InvalidRate', 'HTTPLocalRateLimitPolicy shop/limit NoMatchingTarget']);
    expect(messages.at(-1)?.httpLocalRateLimit?.total).toEqual({ requestsPerSecond: 100 });
    memory.put(policy('Server', 'no-such-server', { podSelector: { matchLabels: { app: 'other' } }, port: 8080 }));
    await nextTurn();
    expect(messages.at(-1)?.httpLocalRateLimit).toBeUndefined();
  });

  it('an HTTPRoute attached to the Server becomes its route, with the AuthorizationPolicies that target the route', async () => {
    const { memory, messages } = setup();
    memory.put(SERVER);
    const route: HTTPRoute = {
      apiVersion: 'policy.linkerd.io/v1beta3',
      kind: 'HTTPRoute',
      metadata: { name: 'api-read', namespace: 'shop' },
      spec: { parentRefs: [{ group: 'policy.linkerd.io', kind: 'Server', name: 'api-http' }], rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/api' } }] }] },
    };
    memory.put(route);
    memory.put(policy('AuthorizationPolicy', 'read', { targetRef: { group: 'policy.linkerd.io', kind: 'HTTPRoute', name: 'api-read' }, requiredAuthenticationRefs: [] }));
    await nextTurn();
    const kind = messages.at(-1)?.protocol?.kind;
    const routes = kind?.$case === 'http1' ? kind.value.routes : [];
    expect(routes.map((r) => [r.metadata?.kind?.$case === 'resource' && r.metadata.kind.value.name, r.authorizations.map((a) => a.labels.name)])).toEqual([['api-read', ['read']]]);
    memory.put(policy('AuthorizationPolicy', 'all', { targetRef: { group: 'policy.linkerd.io', kind: 'Server', name: 'api-http' }, requiredAuthenticationRefs: [] }));
    await nextTurn();
    const after = messages.at(-1)?.protocol?.kind;
    const withServerAuthz = after?.$case === 'http1' ? after.value.routes : [];
    expect(withServerAuthz.map((r) => r.authorizations.map((a) => a.labels.name))).toEqual([['all', 'read']]);
  });

  it('follows the pod: new labels that no Server selects bring the default policy back', async () => {
    const { memory, messages } = setup();
    memory.put(SERVER);
    await nextTurn();
    expect(messages.at(-1)?.labels.name).toBe('api-http');
    memory.put({ ...API_POD, metadata: { ...API_POD.metadata, labels: { app: 'other' } } });
    await nextTurn();
    expect(messages.at(-1)?.labels.name).toBe('all-unauthenticated');
  });

  it('deleting the Server brings the default policy back', async () => {
    const { memory, messages } = setup();
    memory.put(SERVER);
    await nextTurn();
    memory.remove(SERVER);
    await nextTurn();
    expect(messages.map((m) => m.labels.name)).toEqual(['all-unauthenticated', 'api-http', 'all-unauthenticated']);
  });
});
