import type { EndpointSlice, Pod, Service } from '@trellis/kube';
import { describe, expect, it } from 'vitest';
import { diffUpdates, initialUpdate } from './endpoint-diff';
import type { PodLookup } from './endpoint-translation';
import { ownerLabel, podIdentity, resolveServicePort, runsProxy, toWeightedAddr, translateEndpoints } from './endpoint-translation';

function service(ports: NonNullable<Service['spec']>['ports']): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'ns' }, spec: { ports } };
}

function slice(name: string, endpoints: EndpointSlice['endpoints'], ports?: EndpointSlice['ports']): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name, namespace: 'ns', labels: { 'kubernetes.io/service-name': 'web' } },
    addressType: 'IPv4',
    endpoints,
    ...(ports ? { ports } : {}),
  };
}

function pod(name: string, extra: Partial<Pod['metadata']> = {}, containers: NonNullable<Pod['spec']>['containers'] = []): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'ns', ...extra }, spec: { containers } };
}

function lookup(pods: Pod[]): PodLookup {
  return {
    byName: (ns, name) => pods.find((p) => p.metadata.namespace === ns && p.metadata.name === name),
    byIp: () => undefined,
  };
}

const NO_PODS = lookup([]);
const ipv4 = (s: string) => s.split('.').reduce((a, p) => a * 256 + Number(p), 0);

function endpointsOf(snapshot: ReturnType<typeof translateEndpoints>): string[] {
  return [...snapshot.addrs.keys()].sort();
}

describe('resolveServicePort', () => {
  it.each([
    [[{ port: 80, targetPort: 8080 }], 80, { sliceName: '', target: 8080 }],
    [[{ name: 'http', port: 80, targetPort: 'web' }], 80, { sliceName: 'http', target: 'web' }],
    [[{ name: 'http', port: 80 }], 80, { sliceName: 'http', target: 80 }],
    [[{ name: 'http', port: 80, targetPort: 8080 }], 9000, { sliceName: undefined, target: 9000 }],
  ])('%j port %d', (ports, port, expected) => {
    expect(resolveServicePort(service(ports), port)).toEqual(expected);
  });
});

describe('translateEndpoints', () => {
  it('merges every slice, keeps only ready endpoints (missing condition = ready) and uses the slice port', () => {
    const snapshot = translateEndpoints(
      'ns',
      'web',
      80,
      service([{ name: 'http', port: 80, targetPort: 'web' }]),
      [
        slice('a', [{ addresses: ['10.0.0.1'], conditions: { ready: true } }, { addresses: ['10.0.0.2'], conditions: { ready: false } }], [
          { name: 'http', port: 8080 },
        ]),
        slice('b', [{ addresses: ['10.0.0.3'] }, { addresses: ['10.0.0.4'], conditions: {} }], [{ name: 'http', port: 8080 }]),
      ],
      NO_PODS,
    );
    expect(snapshot.exists).toBe(true);
    expect(endpointsOf(snapshot)).toEqual(['10.0.0.1:8080', '10.0.0.3:8080', '10.0.0.4:8080']);
    expect(snapshot.labels).toEqual({ namespace: 'ns', service: 'web' });
    const first = snapshot.addrs.get('10.0.0.1:8080')?.addr;
    expect(first).toEqual({ addr: { ip: { ip: { $case: 'ipv4', value: ipv4('10.0.0.1') } }, port: 8080 }, weight: 10000, metricLabels: {} });
  });

  it('resolves a numeric targetPort when slices carry no ports', () => {
    const snapshot = translateEndpoints('ns', 'web', 80, service([{ port: 80, targetPort: 9090 }]), [slice('a', [{ addresses: ['10.0.0.1'] }])], NO_PODS);
    expect(endpointsOf(snapshot)).toEqual(['10.0.0.1:9090']);
  });

  it('resolves a named targetPort through the pod container ports', () => {
    const pods = lookup([pod('web-1', {}, [{ name: 'app', ports: [{ name: 'web', containerPort: 7070 }] }])]);
    const snapshot = translateEndpoints(
      'ns',
      'web',
      80,
      service([{ name: 'http', port: 80, targetPort: 'web' }]),
      [slice('a', [{ addresses: ['10.0.0.1'], targetRef: { kind: 'Pod', name: 'web-1' } }, { addresses: ['10.0.0.2'] }])],
      pods,
    );
    // The second endpoint has no pod, so its named port cannot be resolved and it is left out.
    expect(endpointsOf(snapshot)).toEqual(['10.0.0.1:7070']);
  });

  it('selects the slice port by the service port name when a service has several ports', () => {
    const snapshot = translateEndpoints(
      'ns',
      'web',
      9000,
      service([
        { name: 'http', port: 80, targetPort: 8080 },
        { name: 'admin', port: 9000, targetPort: 'admin' },
      ]),
      [slice('a', [{ addresses: ['10.0.0.1'] }], [{ name: 'http', port: 8080 }, { name: 'admin', port: 9990 }])],
      NO_PODS,
    );
    expect(endpointsOf(snapshot)).toEqual(['10.0.0.1:9990']);
  });

  it('uses the authority port itself when the Service does not declare it', () => {
    const snapshot = translateEndpoints('ns', 'web', 7000, service([{ port: 80, targetPort: 8080 }]), [slice('a', [{ addresses: ['10.0.0.1'] }])], NO_PODS);
    expect(endpointsOf(snapshot)).toEqual(['10.0.0.1:7000']);
  });

  it('deduplicates an address listed by two slices and skips FQDN slices and bad addresses', () => {
    const fqdn: EndpointSlice = { ...slice('c', [{ addresses: ['example.com'] }]), addressType: 'FQDN' };
    const snapshot = translateEndpoints(
      'ns',
      'web',
      80,
      service([{ port: 80, targetPort: 8080 }]),
      [slice('a', [{ addresses: ['10.0.0.1'] }]), slice('b', [{ addresses: ['10.0.0.1', 'not-an-ip'] }]), fqdn],
      NO_PODS,
    );
    expect(endpointsOf(snapshot)).toEqual(['10.0.0.1:8080']);
  });

  it("labels an endpoint with its targetRef pod name when the Pod object is unknown (the local runner's slices)", () => {
    const snapshot = translateEndpoints(
      'ns',
      'web',
      80,
      service([{ port: 80, targetPort: 8080 }]),
      [slice('a', [{ addresses: ['10.0.0.1'], targetRef: { kind: 'Pod', name: 'web-0' } }])],
      NO_PODS,
    );
    const addr = snapshot.addrs.get('10.0.0.1:8080')?.addr;
    expect(addr?.metricLabels).toEqual({ pod: 'web-0' });
    expect(addr?.protocolHint).toBeUndefined();
  });

  it('reports a missing Service as not existing even if slices remain', () => {
    const snapshot = translateEndpoints('ns', 'web', 80, undefined, [slice('a', [{ addresses: ['10.0.0.1'] }])], NO_PODS);
    expect(snapshot.exists).toBe(false);
    expect(snapshot.addrs.size).toBe(0);
  });

  it('labels endpoints with pod and deployment and hints h2 for proxied pods', () => {
    const pods = lookup([
      pod('web-5d8f9c7b6-abcde', {
        labels: { 'pod-template-hash': '5d8f9c7b6' },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-5d8f9c7b6', controller: true }],
      }, [{ name: 'app' }, { name: 'trellis-proxy' }]),
      pod('plain-0', { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'plain' }] }, [{ name: 'app' }]),
    ]);
    const snapshot = translateEndpoints(
      'ns',
      'web',
      80,
      service([{ port: 80, targetPort: 8080 }]),
      [
        slice('a', [
          { addresses: ['10.0.0.1'], targetRef: { kind: 'Pod', name: 'web-5d8f9c7b6-abcde' } },
          { addresses: ['10.0.0.2'], targetRef: { kind: 'Pod', name: 'plain-0' } },
        ]),
      ],
      pods,
    );
    const proxied = snapshot.addrs.get('10.0.0.1:8080')?.addr;
    expect(proxied?.metricLabels).toEqual({ pod: 'web-5d8f9c7b6-abcde', deployment: 'web' });
    expect(proxied?.protocolHint).toEqual({ protocol: { $case: 'h2', value: {} } });
    const plain = snapshot.addrs.get('10.0.0.2:8080')?.addr;
    expect(plain?.metricLabels).toEqual({ pod: 'plain-0', statefulset: 'plain' });
    expect(plain?.protocolHint).toBeUndefined();
    expect(snapshot.dependencies.has('ns/web-5d8f9c7b6-abcde')).toBe(true);
  });
});

describe('ownerLabel and runsProxy', () => {
  it.each([
    [[{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'api-7f9c', controller: true }], {}, ['deployment', 'api']],
    [[{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'my-api-abc12' }], { 'pod-template-hash': 'abc12' }, ['deployment', 'my-api']],
    [[{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'api' }], {}, ['deployment', 'api']],
    [[{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent' }], {}, ['daemonset', 'agent']],
    [[], {}, undefined],
  ])('%j', (ownerReferences, labels, expected) => {
    expect(ownerLabel(pod('p', { ownerReferences, labels }))).toEqual(expected);
  });

  it('detects the proxy by annotation or container name', () => {
    expect(runsProxy(pod('p', { annotations: { 'trellis.io/proxy': 'enabled' } }))).toBe(true);
    expect(runsProxy(pod('p', { annotations: { 'trellis.io/proxy': 'disabled' } }))).toBe(false);
    expect(runsProxy(pod('p', {}, [{ name: 'trellis-proxy' }]))).toBe(true);
    expect(runsProxy(pod('p', {}, [{ name: 'app' }]))).toBe(false);
  });
});

describe('initialUpdate and diffUpdates', () => {
  const svc = service([{ port: 80, targetPort: 8080 }]);
  const snap = (ips: string[], exists = true, pods = NO_PODS) =>
    translateEndpoints('ns', 'web', 80, exists ? svc : undefined, [slice('a', ips.map((ip) => ({ addresses: [ip], targetRef: { kind: 'Pod', name: ip } })))], pods);
  const tcp = (ip: string) => ({ ip: { ip: { $case: 'ipv4', value: ipv4(ip) } }, port: 8080 });

  it('starts with add, no_endpoints{exists:true} or no_endpoints{exists:false}', () => {
    expect(initialUpdate(snap(['10.0.0.1'])).update).toMatchObject({ $case: 'add', value: { metricLabels: { namespace: 'ns', service: 'web' } } });
    expect(initialUpdate(snap([]))).toEqual({ update: { $case: 'noEndpoints', value: { exists: true } } });
    expect(initialUpdate(snap([], false))).toEqual({ update: { $case: 'noEndpoints', value: { exists: false } } });
  });

  it.each([
    ['nothing changed', ['10.0.0.1'], true, ['10.0.0.1'], true, []],
    ['one added', ['10.0.0.1'], true, ['10.0.0.1', '10.0.0.2'], true, [{ add: ['10.0.0.2'] }]],
    ['one removed', ['10.0.0.1', '10.0.0.2'], true, ['10.0.0.1'], true, [{ remove: ['10.0.0.2'] }]],
    ['replaced', ['10.0.0.1'], true, ['10.0.0.2'], true, [{ remove: ['10.0.0.1'] }, { add: ['10.0.0.2'] }]],
    ['last removed', ['10.0.0.1'], true, [], true, [{ noEndpoints: true }]],
    ['service deleted', ['10.0.0.1'], true, [], false, [{ noEndpoints: false }]],
    ['service appears', [], false, ['10.0.0.1'], true, [{ add: ['10.0.0.1'] }]],
    ['service appears empty', [], false, [], true, [{ noEndpoints: true }]],
    ['still unknown', [], false, [], false, []],
    ['still empty', [], true, [], true, []],
    ['refilled', [], true, ['10.0.0.1'], true, [{ add: ['10.0.0.1'] }]],
  ])('%s', (_title, prevIps, prevExists, nextIps, nextExists, expected) => {
    const updates = diffUpdates(snap(prevIps, prevExists), snap(nextIps, nextExists));
    const simple = updates.map((u) => {
      if (u.update?.$case === 'add') return { add: u.update.value.addrs.map((a) => a.addr) };
      if (u.update?.$case === 'remove') return { remove: u.update.value.addrs };
      return { noEndpoints: u.update?.value.exists };
    });
    const want = (expected as { add?: string[]; remove?: string[]; noEndpoints?: boolean }[]).map((e) =>
      e.add ? { add: e.add.map(tcp) } : e.remove ? { remove: e.remove.map(tcp) } : e,
    );
    expect(simple).toEqual(want);
  });

  it('re-sends an endpoint whose labels changed', () => {
    const before = snap(['10.0.0.1']);
    const after = snap(['10.0.0.1'], true, lookup([pod('10.0.0.1', { annotations: { 'trellis.io/proxy': 'enabled' } })]));
    const updates = diffUpdates(before, after);
    expect(updates).toHaveLength(1);
    expect(updates[0]?.update).toMatchObject({ $case: 'add', value: { addrs: [{ protocolHint: { protocol: { $case: 'h2' } } }] } });
  });
});

describe('podIdentity and tls_identity', () => {
  const meshed = (annotations: Record<string, string> = {}, serviceAccountName?: string): Pod => ({
    ...pod('web-1', { annotations: { 'trellis.io/proxy': 'enabled', ...annotations } }),
    spec: { containers: [], ...(serviceAccountName === undefined ? {} : { serviceAccountName }) },
  });

  it.each<[string, Pod | undefined, string | undefined, string | undefined]>([
    ['a meshed pod, its ServiceAccount', meshed({}, 'web'), 'cluster.local', 'web.ns.serviceaccount.identity.cluster.local'],
    ['a meshed pod without one runs as default', meshed(), 'example.org', 'default.ns.serviceaccount.identity.example.org'],
    ['identity off at the destination', meshed({}, 'web'), undefined, undefined],
    ['a pod without the proxy', pod('plain'), 'cluster.local', undefined],
    ['a proxy running without identity', meshed({ 'trellis.io/identity': 'disabled' }, 'web'), 'cluster.local', undefined],
    ['no pod known', undefined, 'cluster.local', undefined],
  ])('%s', (_name, p, trustDomain, identity) => {
    expect(podIdentity(p, trustDomain)).toBe(identity);
  });

  it('puts the identity in the endpoint as Linkerd does (dns_like_identity and server_name)', () => {
    const entry = toWeightedAddr('10.0.0.1', 8080, meshed({}, 'web'), undefined, 'cluster.local');
    const name = 'web.ns.serviceaccount.identity.cluster.local';
    expect(entry?.addr.tlsIdentity).toEqual({ strategy: { $case: 'dnsLikeIdentity', value: { name } }, serverName: { name } });
    expect(toWeightedAddr('10.0.0.1', 8080, meshed({}, 'web'))?.addr.tlsIdentity).toBeUndefined();
  });
});
