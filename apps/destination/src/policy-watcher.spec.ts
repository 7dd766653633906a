import type { HTTPRoute, RouteStatusWriter, Service } from '@trellis/kube';
import type { OutboundPolicy } from '@trellis/proto';
import { describe, expect, it } from 'vitest';
import { createMemorySource } from './memory-source';
import { PodIndex } from './pod-index';
import type { PolicyRequest } from './policy-watcher';
import { PolicyWatcher } from './policy-watcher';
import { ProfileWatcher } from './profile-watcher';

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
const NOW = new Date('2026-03-01T00:00:00Z');

function service(name: string): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'shop' }, spec: { ports: [{ name: 'http', port: 80 }] } };
}

function route(name: string, rules: object[], status?: unknown): HTTPRoute {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name, namespace: 'shop' },
    spec: { parentRefs: [{ group: '', kind: 'Service', name: 'cart' }], rules },
    ...(status === undefined ? {} : { status }),
  };
}

const CART: PolicyRequest = { namespace: 'shop', service: 'cart', port: 80, clientNamespace: undefined };

function routeNames(policy: OutboundPolicy | undefined): string[] {
  const kind = policy?.protocol?.kind;
  const routes = kind?.$case === 'detect' ? (kind.value.http1?.routes ?? []) : [];
  return routes.map((r) => (r.metadata?.kind?.$case === 'resource' ? r.metadata.kind.value.name : `default:${r.metadata?.kind?.value}`));
}

function setup(writer?: RouteStatusWriter) {
  const memory = createMemorySource();
  memory.put(service('cart'));
  memory.put(service('cart-v2'));
  const profiles = new ProfileWatcher(memory.source, new PodIndex(memory.source.pods), 'cluster.local');
  const invalid: string[] = [];
  const watcher = new PolicyWatcher(
    memory.source,
    profiles,
    'cluster.local',
    { invalidRoute: (kind, namespace, name, reason) => invalid.push(`${kind} ${namespace}/${name} ${reason}`) },
    { ...(writer ? { writer } : {}), now: () => NOW },
  );
  profiles.load();
  watcher.load();
  return { memory, watcher, invalid };
}

describe('PolicyWatcher', () => {
  it('shares one policy object between streams of one request and sends one update per burst', async () => {
    const { memory, watcher } = setup();
    const a: OutboundPolicy[] = [];
    const b: OutboundPolicy[] = [];
    const first = watcher.subscribe(CART, (p) => a.push(p));
    const second = watcher.subscribe(CART, (p) => b.push(p));
    expect(second.initial).toBe(first.initial);
    expect(routeNames(first.initial)).toEqual(['default:http']);

    memory.put(route('split', [{ backendRefs: [{ name: 'cart-v2', port: 80 }] }]));
    memory.put(route('split', [{ backendRefs: [{ name: 'cart', port: 80, weight: 1 }, { name: 'cart-v2', port: 80, weight: 1 }] }]));
    await nextTurn();
    expect(a).toHaveLength(1);
    expect(b[0]).toBe(a[0]);
    expect(routeNames(a[0])).toEqual(['split']);

    memory.put(service('unrelated'));
    await nextTurn();
    expect(a).toHaveLength(1);
    first.unsubscribe();
    second.unsubscribe();
    watcher.close();
  });

  it('reports a rejected route once per version, not again when only its status changes', async () => {
    const { memory, watcher, invalid } = setup();
    memory.put(route('bad', [{ matches: [{ path: { type: 'RegularExpression', value: '(' } }] }]));
    memory.put(route('bad', [{ matches: [{ path: { type: 'RegularExpression', value: '(' } }] }], { parents: [] }));
    expect(invalid).toEqual(['HTTPRoute shop/bad InvalidRegex']);
    memory.put(route('bad', [{ matches: [{ path: { type: 'RegularExpression', value: '[' } }] }]));
    expect(invalid).toEqual(['HTTPRoute shop/bad InvalidRegex', 'HTTPRoute shop/bad InvalidRegex']);
    await nextTurn();
    watcher.close();
  });

  it('writes a route status when it changes, and not again for the echo of its own write', async () => {
    const writes: { name: string; status: object }[] = [];
    const writer: RouteStatusWriter = {
      writeRouteStatus: async (_kind, _namespace, name, status) => {
        writes.push({ name, status });
      },
    };
    const { memory, watcher } = setup(writer);
    memory.put(route('split', [{}]));
    expect(writes).toHaveLength(1);
    const written = writes[0]?.status;
    expect(written).toEqual({
      parents: [
        {
          parentRef: { group: '', kind: 'Service', namespace: 'shop', name: 'cart' },
          controllerName: 'trellis.io/destination',
          conditions: [{ type: 'Accepted', status: 'True', reason: 'Accepted', message: 'Route accepted', lastTransitionTime: NOW.toISOString() }],
        },
      ],
    });
    memory.put(route('split', [{}], JSON.parse(JSON.stringify(written))));
    expect(writes).toHaveLength(1);

    memory.remove(service('cart'));
    expect(writes.map((w) => JSON.stringify(w.status).includes('NoMatchingParent'))).toEqual([false, true]);
    await nextTurn();
    watcher.close();
  });
});
