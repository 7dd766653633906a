import type { Deployment, EndpointSlice, Pod, Service } from '@trellis/kube';
import { describe, expect, it } from 'vitest';
import { discoverTargets } from './targets';

const deployment = (name: string, annotations: Record<string, string>, labels: Record<string, string>, extra: Partial<Deployment> = {}): Deployment => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: 'shop', annotations, creationTimestamp: '2026-01-01T00:00:00Z' },
  spec: { replicas: 3, template: { metadata: { labels } } },
  ...extra,
});
const service = (name: string, selector: Record<string, string> | undefined): Service => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'shop' }, spec: { selector } });
const slice = (service: string, endpoints: EndpointSlice['endpoints'], ports?: EndpointSlice['ports'], addressType: EndpointSlice['addressType'] = 'IPv4'): EndpointSlice => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { name: `${service}-x`, namespace: 'shop', labels: { 'kubernetes.io/service-name': service } },
  addressType,
  endpoints,
  ...(ports ? { ports } : {}),
});
const KPA = { 'autoscaling.knative.dev/class': 'kpa.autoscaling.knative.dev' };

describe('discoverTargets', () => {
  it('finds the ready pods of a KPA Deployment through the Service that selects its pods', () => {
    const pods: Pod[] = [{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-1', namespace: 'shop', labels: { app: 'web', tier: 'front' }, creationTimestamp: '2026-01-01T00:01:00Z' } }];
    const [t, ...rest] = discoverTargets({
      deployments: [deployment('web', KPA, { app: 'web', tier: 'front' }), deployment('db', {}, { app: 'db' })],
      services: [service('web', { app: 'web' }), service('other', { app: 'other' }), service('headless', undefined)],
      endpointSlices: [
        slice('web', [
          { addresses: ['10.0.0.1'], conditions: { ready: true }, targetRef: { kind: 'Pod', name: 'web-1' } },
          { addresses: ['10.0.0.2'], conditions: { ready: false } },
          { addresses: ['10.0.0.3'] },
          { addresses: ['10.0.0.4'], conditions: { ready: true, terminating: true } },
        ]),
        slice('other', [{ addresses: ['10.0.0.9'] }]),
      ],
      pods,
    });
    expect(rest).toEqual([]);
    expect(t).toMatchObject({ key: 'shop/web', replicas: 3, containerConcurrency: 0, services: ['web'] });
    expect(t?.pods).toEqual([
      { key: 'web-1', url: 'http://10.0.0.1:9090/metrics', createdMs: Date.parse('2026-01-01T00:01:00Z') },
      { key: '10.0.0.3', url: 'http://10.0.0.3:9090/metrics', createdMs: undefined },
    ]);
  });

  it("counts only the Deployment's own pods behind a Service that selects several Deployments (an apex)", () => {
    const hello = (version: string) => {
      const d = deployment(`hello-${version}`, KPA, { app: 'hello', version });
      d.spec = { ...d.spec, selector: { matchLabels: { app: 'hello', version } } };
      return d;
    };
    const ready = (address: string, name?: string): NonNullable<EndpointSlice['endpoints']>[number] => ({
      addresses: [address],
      conditions: { ready: true },
      ...(name === undefined ? {} : { targetRef: { kind: 'Pod', name, namespace: 'shop' } }),
    });
    const apexEndpoints = [ready('127.0.0.2', 'hello-v1-0'), ready('127.0.0.3', 'hello-v1-1'), ready('127.0.0.4', 'hello-v2-2')];
    const snapshot = {
      deployments: [hello('v1'), hello('v2'), deployment('hello', {}, { app: 'hello', version: 'v0' })],
      services: [service('hello', { app: 'hello' }), service('hello-v1', { app: 'hello', version: 'v1' }), service('hello-v2', { app: 'hello', version: 'v2' })],
      endpointSlices: [
        slice('hello', [...apexEndpoints, ready('127.0.0.9')]),
        slice('hello-v1', apexEndpoints.slice(0, 2)),
        slice('hello-v2', apexEndpoints.slice(2)),
      ],
      pods: [],
    };
    const byName = new Map(discoverTargets(snapshot).map((t) => [t.name, t.pods.map((p) => p.key).sort()]));
    expect(byName.get('hello-v1')).toEqual(['hello-v1-0', 'hello-v1-1']);
    expect(byName.get('hello-v2')).toEqual(['hello-v2-2']);

    // With the Pod objects known, their labels decide (whatever the names), against the Deployment's selector.
    const pod = (name: string, version: string): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'shop', labels: { app: 'hello', version } } });
    const withPods = { ...snapshot, pods: [pod('hello-v1-0', 'v2'), pod('hello-v1-1', 'v1'), pod('hello-v2-2', 'v2')] };
    const byLabels = new Map(discoverTargets(withPods).map((t) => [t.name, t.pods.map((p) => p.key).sort()]));
    expect(byLabels.get('hello-v1')).toEqual(['hello-v1-1']);
    expect(byLabels.get('hello-v2')).toEqual(['hello-v1-0', 'hello-v2-2']);
  });

  it('uses the slice port named queue-metrics, the scrape port flag, and brackets IPv6', () => {
    const [t] = discoverTargets(
      {
        deployments: [deployment('web', KPA, { app: 'web' })],
        services: [service('web', { app: 'web' })],
        endpointSlices: [slice('web', [{ addresses: ['127.0.0.5'] }], [{ name: 'queue-metrics', port: 19090 }]), slice('web', [{ addresses: ['::1'] }], undefined, 'IPv6')],
        pods: [],
      },
      9191,
    );
    expect(t?.pods.map((p) => p.url)).toEqual(['http://127.0.0.5:19090/metrics', 'http://[::1]:9191/metrics']);
  });

  it('reads annotations from the pod template too, the Deployment winning, and CONTAINER_CONCURRENCY', () => {
    const d = deployment('web', { 'autoscaling.knative.dev/target': '5' }, { app: 'web' });
    d.spec = {
      template: {
        metadata: { labels: { app: 'web' }, annotations: { ...KPA, 'autoscaling.knative.dev/target': '50' } },
        spec: { containers: [{ name: 'proxy', env: [{ name: 'CONTAINER_CONCURRENCY', value: '8' }] }] },
      },
    };
    const [t] = discoverTargets({ deployments: [d], services: [], endpointSlices: [], pods: [] });
    expect(t?.annotations['autoscaling.knative.dev/target']).toBe('5');
    expect(t?.containerConcurrency).toBe(8);
    expect(t?.replicas).toBe(1);
    expect(t?.pods).toEqual([]);
  });
});
