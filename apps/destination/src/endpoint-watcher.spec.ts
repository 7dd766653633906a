import type { EndpointSlice, Service } from '@trellis/kube';
import type { Update } from '@trellis/proto';
import { describe, expect, it } from 'vitest';
import { EndpointWatcher } from './endpoint-watcher';
import { createMemorySource } from './memory-source';
import { PodIndex } from './pod-index';

const service: Service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'ns' }, spec: { ports: [{ port: 80, targetPort: 8080 }] } };
const slice = (ips: string[]): EndpointSlice => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { name: 'web-1', namespace: 'ns', labels: { 'kubernetes.io/service-name': 'web' } },
  addressType: 'IPv4',
  endpoints: ips.map((ip) => ({ addresses: [ip] })),
});
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

function setup() {
  const memory = createMemorySource();
  memory.put(service);
  memory.put(slice(['10.0.0.1']));
  const published: { updates: readonly Update[]; listeners: number }[] = [];
  const counts: number[] = [];
  const watcher = new EndpointWatcher(memory.source, new PodIndex(memory.source.pods), {
    published: (updates, listeners) => published.push({ updates, listeners }),
    subscribersChanged: (_ns, _svc, count) => counts.push(count),
  });
  return { memory, watcher, published, counts };
}

describe('EndpointWatcher', () => {
  it('computes one diff per burst and hands the same messages to every subscriber', async () => {
    const { memory, watcher, published } = setup();
    const a: Update[] = [];
    const b: Update[] = [];
    const subA = watcher.subscribe('ns', 'web', 80, (u) => a.push(...u));
    const subB = watcher.subscribe('ns', 'web', 80, (u) => b.push(...u));
    expect(subA.initial).toBe(subB.initial);

    memory.put(slice(['10.0.0.1', '10.0.0.2']));
    memory.put(slice(['10.0.0.1', '10.0.0.2', '10.0.0.3']));
    memory.put(service);
    await nextTurn();

    expect(published).toHaveLength(1);
    expect(published[0]?.listeners).toBe(2);
    expect(a).toHaveLength(1);
    expect(a[0]).toBe(b[0]);
    expect(a[0]?.update?.$case).toBe('add');
    if (a[0]?.update?.$case === 'add') expect(a[0].update.value.addrs).toHaveLength(2);
    watcher.close();
  });

  it('keeps separate views per port, stops on unsubscribe and counts subscribers', async () => {
    const { memory, watcher, counts } = setup();
    const got: Update[] = [];
    const sub = watcher.subscribe('ns', 'web', 80, (u) => got.push(...u));
    const other = watcher.subscribe('ns', 'web', 9000, () => undefined);
    expect(watcher.subscriberCount('ns', 'web')).toBe(2);
    sub.unsubscribe();
    sub.unsubscribe();
    expect(watcher.subscriberCount('ns', 'web')).toBe(1);
    memory.put(slice(['10.0.0.9']));
    await nextTurn();
    expect(got).toEqual([]);
    other.unsubscribe();
    expect(counts).toEqual([1, 2, 1, 0]);
    watcher.close();
  });

  it('sends no_endpoints{exists:false} when the Service is deleted', async () => {
    const { memory, watcher } = setup();
    const got: Update[] = [];
    watcher.subscribe('ns', 'web', 80, (u) => got.push(...u));
    memory.remove(service);
    await nextTurn();
    expect(got).toEqual([{ update: { $case: 'noEndpoints', value: { exists: false } } }]);
    watcher.close();
  });
});
