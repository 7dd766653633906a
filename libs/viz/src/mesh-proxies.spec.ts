import type { Deployment, EndpointSlice, Pod, Service } from '@trellis/kube';
import { describe, expect, it } from 'vitest';
import { meshProxies } from './mesh-proxies';

const deployment = (name: string, replicas: number, proxyInTemplate = true): Deployment => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: 'demo' },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app' }, ...(proxyInTemplate ? [{ name: 'trellis-proxy' }] : [])] } },
  },
});

const slice = (service: string, endpoints: [pod: string, address: string, ready: boolean][]): EndpointSlice => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { name: `${service}-x`, namespace: 'demo', labels: { 'kubernetes.io/service-name': service } },
  addressType: 'IPv4',
  endpoints: endpoints.map(([pod, address, ready]) => ({ addresses: [address], conditions: { ready }, targetRef: { kind: 'Pod', name: pod, namespace: 'demo' } })),
});

const pod = (name: string, app: string, ip: string, containers: string[], ready = true): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'demo', labels: { app } },
  spec: { containers: containers.map((c) => ({ name: c })) },
  status: { podIP: ip, phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});

const services: Service[] = [];

describe('meshProxies', () => {
  it('local mode: every slice endpoint that names a pod, attributed by the longest Deployment name prefix', () => {
    const mesh = meshProxies(
      {
        deployments: [deployment('hello', 0, false), deployment('hello-v1', 2), deployment('hello-v2', 1)],
        services,
        endpointSlices: [
          slice('hello', [['hello-v1-0', '127.0.0.2', true], ['hello-v1-1', '127.0.0.3', false], ['hello-v2-0', '127.0.0.4', true]]),
          slice('hello-v1', [['hello-v1-0', '127.0.0.2', true], ['hello-v1-1', '127.0.0.3', false]]),
        ],
        pods: [],
      },
      9091,
    );
    expect(mesh.sources).toEqual([
      { address: '127.0.0.2:9091', workload: 'demo/hello-v1' },
      { address: '127.0.0.3:9091', workload: 'demo/hello-v1' },
      { address: '127.0.0.4:9091', workload: 'demo/hello-v2' },
    ]);
    expect(Object.fromEntries(mesh.replicas)).toEqual({
      'demo/hello-v1': { ready: 1, desired: 2, services: ['demo/hello', 'demo/hello-v1'] },
      'demo/hello-v2': { ready: 1, desired: 1, services: ['demo/hello'] },
    });
  });

  it('a cluster: running pods with the proxy container (or native sidecar), by label; unmeshed pods are left out', () => {
    const sidecar = pod('web-7d9c-b', 'web', 'fd00::5', ['app']);
    (sidecar.spec as { initContainers?: { name: string }[] }).initContainers = [{ name: 'trellis-proxy' }];
    const mesh = meshProxies(
      {
        deployments: [deployment('web', 2, false), deployment('db', 1, false)],
        services,
        endpointSlices: [slice('web', [['web-7d9c-a', '10.0.0.4', true], ['db-1', '10.0.0.9', true]])],
        pods: [pod('web-7d9c-a', 'web', '10.0.0.4', ['app', 'trellis-proxy']), sidecar, pod('db-1', 'db', '10.0.0.9', ['db'])],
      },
      9091,
    );
    expect(mesh.sources).toEqual([
      { address: '10.0.0.4:9091', workload: 'demo/web' },
      { address: '[fd00::5]:9091', workload: 'demo/web' },
    ]);
    expect(Object.fromEntries(mesh.replicas)).toEqual({ 'demo/web': { ready: 2, desired: 2, services: ['demo/web'] } });
  });

  it("local mode's Pod objects (meshed by annotation, no containers, no conditions): ready from their slice endpoints", () => {
    const local: Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'hello-v1-0', namespace: 'demo', labels: { app: 'hello-v1' }, annotations: { 'trellis.io/proxy': 'enabled' } }, spec: { containers: [] }, status: { podIP: '127.0.0.2', phase: 'Running' } };
    const mesh = meshProxies(
      { deployments: [deployment('hello-v1', 2)], services, endpointSlices: [slice('hello-v1', [['hello-v1-0', '127.0.0.2', true]])], pods: [local] },
      9091,
    );
    expect(mesh.sources).toEqual([{ address: '127.0.0.2:9091', workload: 'demo/hello-v1' }]);
    expect(mesh.replicas.get('demo/hello-v1')).toEqual({ ready: 1, desired: 2, services: ['demo/hello-v1'] });
  });
});
