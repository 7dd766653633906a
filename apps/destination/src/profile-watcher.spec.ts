import type { Pod, Service } from '@trellis/kube';
import type { DestinationProfile } from '@trellis/proto';
import { describe, expect, it } from 'vitest';
import type { Authority } from './authority';
import type { AnnotationProblem } from './backend-policy-translation';
import { createMemorySource } from './memory-source';
import { PodIndex } from './pod-index';
import { ProfileWatcher } from './profile-watcher';

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

function service(annotations: Record<string, string> = {}, labels: Record<string, string> = {}): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'cart', namespace: 'shop', annotations, labels },
    spec: { clusterIP: '10.96.0.10', ports: [{ port: 80, targetPort: 8080 }] },
  };
}

const CART: Authority = { kind: 'service', service: 'cart', namespace: 'shop', port: 80 };

function setup(initial: Service = service()) {
  const memory = createMemorySource();
  memory.put(initial);
  const problems: (AnnotationProblem & { namespace: string; service: string })[] = [];
  const watcher = new ProfileWatcher(memory.source, new PodIndex(memory.source.pods), 'cluster.local', {
    invalidAnnotation: (namespace, name, problem) => problems.push({ namespace, service: name, ...problem }),
  });
  watcher.load();
  const received: DestinationProfile[] = [];
  const listen = (authority: Authority = CART) => watcher.subscribe(authority, undefined, (p) => received.push(p));
  return { memory, watcher, problems, received, listen };
}

describe('ProfileWatcher: backend policy from Service annotations', () => {
  it('sends no policy for a plain Service and re-sends nothing when other annotations change', async () => {
    const { memory, received, listen, watcher } = setup();
    expect(listen().initial.backendPolicy).toBeUndefined();
    memory.put(service({ 'linkerd.io/inject': 'enabled' }, { tier: 'web' }));
    await nextTurn();
    expect(received).toEqual([]);
    watcher.close();
  });

  it('adds, changes and removes the policy live, sharing one profile between subscribers', async () => {
    const { memory, received, listen, watcher } = setup();
    const a = listen();
    const others: DestinationProfile[] = [];
    watcher.subscribe(CART, undefined, (p) => others.push(p));

    memory.put(service({ 'balancer.trellis.io/algorithm': 'ring-hash', 'balancer.trellis.io/hash-key': 'header:x-user' }));
    await nextTurn();
    expect(received).toHaveLength(1);
    expect(others[0]).toBe(received[0]);
    expect(received[0]?.backendPolicy?.balancer).toBe('ring-hash');
    expect(received[0]?.backendPolicy?.hashKey).toEqual({ source: { $case: 'header', value: 'x-user' } });
    expect(received[0]?.backendPolicy?.circuitBreakers?.maxRetries).toBe(3);

    memory.put(service({ 'balancer.trellis.io/algorithm': 'ring-hash', 'balancer.trellis.io/hash-key': 'header:x-user' }, { touched: 'yes' }));
    await nextTurn();
    expect(received).toHaveLength(1);

    memory.put(service({ 'balancer.trellis.io/algorithm': 'maglev', 'balancer.trellis.io/hash-key': 'header:x-user' }));
    await nextTurn();
    expect(received).toHaveLength(2);
    expect(received[1]?.backendPolicy?.balancer).toBe('maglev');

    memory.put(service());
    await nextTurn();
    expect(received).toHaveLength(3);
    expect(received[2]?.backendPolicy).toBeUndefined();
    expect(received[2]).toEqual(a.initial);
    watcher.close();
  });

  it('gives the policy to a subscriber that comes later, and to the cluster IP authority', () => {
    const { listen, watcher } = setup(service({ 'circuit-breaker.trellis.io/max-requests': '50' }));
    expect(listen().initial.backendPolicy?.circuitBreakers?.maxRequests).toBe(50);
    expect(listen({ kind: 'ip', ip: '10.96.0.10', port: 80 }).initial.backendPolicy?.circuitBreakers?.maxRequests).toBe(50);
    watcher.close();
  });

  it('reports an ignored annotation once per change of the annotations, and drops the policy with the Service', async () => {
    const bad = { 'outlier.trellis.io/max-ejection-percent': '150' };
    const { memory, problems, received, listen, watcher } = setup(service(bad));
    expect(problems).toEqual([
      { namespace: 'shop', service: 'cart', annotation: 'outlier.trellis.io/max-ejection-percent', reason: '150 is not between 0 and 100' },
    ]);
    expect(listen().initial.backendPolicy?.outlierDetection?.maxEjectionPercent).toBe(10);

    memory.put(service(bad, { touched: 'yes' }));
    await nextTurn();
    expect(problems).toHaveLength(1);
    expect(received).toEqual([]);

    memory.put(service({ ...bad, 'outlier.trellis.io/interval': '5s' }));
    await nextTurn();
    expect(problems).toHaveLength(2);
    expect(received).toHaveLength(1);

    memory.remove(service());
    await nextTurn();
    expect(received).toHaveLength(2);
    expect(received[1]?.backendPolicy).toBeUndefined();
    watcher.close();
  });
});

describe('ProfileWatcher: a pod IP', () => {
  const pod = (containers: string[], serviceAccountName?: string): Pod => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'cart-1', namespace: 'shop' },
    spec: { containers: containers.map((name) => ({ name })), ...(serviceAccountName ? { serviceAccountName } : {}) },
    status: { podIP: '10.1.0.7' },
  } as Pod);
  const endpointOf = (watcher: ProfileWatcher) => watcher.subscribe({ kind: 'ip', ip: '10.1.0.7', port: 8080 }, undefined, () => undefined).initial.endpoint;

  it("carries the meshed pod's identity when identity is on, as Get does, and none otherwise", () => {
    for (const [containers, trustDomain, identity] of [
      [['app', 'trellis-proxy'], 'cluster.local', 'cart.shop.serviceaccount.identity.cluster.local'],
      [['app'], 'cluster.local', undefined],
      [['app', 'trellis-proxy'], undefined, undefined],
    ] as const) {
      const memory = createMemorySource();
      memory.put(pod([...containers], 'cart'));
      const pods = new PodIndex(memory.source.pods);
      pods.load();
      const watcher = new ProfileWatcher(memory.source, pods, 'cluster.local', {}, trustDomain);
      const endpoint = endpointOf(watcher);
      expect(endpoint?.addr?.port).toBe(8080);
      const strategy = endpoint?.tlsIdentity?.strategy;
      expect(strategy?.$case === 'dnsLikeIdentity' ? strategy.value.name : undefined).toBe(identity);
      watcher.close();
    }
  });
});
