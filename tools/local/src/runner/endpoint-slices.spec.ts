import type { Service } from '@trellis/kube';
import { describe, expect, it } from 'vitest';
import type { SliceReplica, SliceWorkload } from './endpoint-slices';
import { planSlices } from './endpoint-slices';

const service = (name: string, selector: Record<string, string> | undefined, targetPort: number | string = 'http'): Service => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'demo' },
  spec: { ...(selector ? { selector } : {}), ports: [{ name: 'http', port: 80, targetPort }] },
});

const workload = (name: string, labels: Record<string, string>): SliceWorkload => ({ key: `demo/${name}`, namespace: 'demo', name, labels, namedPorts: {} });

describe('planSlices', () => {
  const v1 = workload('web-v1', { app: 'web', version: 'v1' });
  const v2 = workload('web-v2', { app: 'web', version: 'v2' });
  const replicas: SliceReplica[] = [
    { podName: 'web-v1-2', address: '127.0.0.10', workload: 'demo/web-v1', phase: 'ready' },
    { podName: 'web-v1-1', address: '127.0.0.9', workload: 'demo/web-v1', phase: 'starting' },
    { podName: 'web-v1-0', address: '127.0.0.3', workload: 'demo/web-v1', phase: 'stopping' },
    { podName: 'web-v2-0', address: '127.0.0.4', workload: 'demo/web-v2', phase: 'ready' },
  ];

  it('writes one slice per selected deployment, ready only for ready replicas, sorted by address', () => {
    const plan = planSlices([service('web', { app: 'web' }), service('web-v2', { version: 'v2' })], [v1, v2], replicas);
    expect([...plan.slices.keys()].sort()).toEqual(['demo/web-v2-web-v2-local', 'demo/web-web-v1-local', 'demo/web-web-v2-local']);
    const slice = plan.slices.get('demo/web-web-v1-local');
    expect(slice?.metadata.labels?.['kubernetes.io/service-name']).toBe('web');
    expect(slice?.ports).toEqual([{ name: 'http', port: 8012, protocol: 'TCP' }]);
    expect(slice?.endpoints?.map((e) => [e.addresses[0], e.conditions])).toEqual([
      ['127.0.0.3', { ready: false, serving: false, terminating: true }],
      ['127.0.0.9', { ready: false, serving: false, terminating: false }],
      ['127.0.0.10', { ready: true, serving: true, terminating: false }],
    ]);
    expect(slice?.endpoints?.[2]?.targetRef).toEqual({ kind: 'Pod', name: 'web-v1-2', namespace: 'demo' });
    expect(plan.problems).toEqual([]);
  });

  it('writes an empty slice for a selected deployment scaled to zero', () => {
    const plan = planSlices([service('web', { app: 'web' })], [v1], []);
    expect(plan.slices.get('demo/web-web-v1-local')?.endpoints).toEqual([]);
  });

  it('leaves alone services without a selector, in another namespace, or selecting nothing local', () => {
    const other: Service = { ...service('web', { app: 'web' }), metadata: { name: 'web', namespace: 'prod' } };
    const plan = planSlices([service('external', undefined), other, service('db', { app: 'db' })], [v1], replicas);
    expect(plan.slices.size).toBe(0);
  });

  it('resolves numeric and container-named target ports and reports unknown names', () => {
    const named = { ...v1, namedPorts: { grpc: 8013 } };
    expect(planSlices([service('a', { app: 'web' }, 8013)], [named], []).slices.get('demo/a-web-v1-local')?.ports?.[0]?.port).toBe(8013);
    expect(planSlices([service('a', { app: 'web' }, 'grpc')], [named], []).slices.get('demo/a-web-v1-local')?.ports?.[0]?.port).toBe(8013);
    const bad = planSlices([service('a', { app: 'web' }, 'nope')], [named], []);
    expect(bad.slices.get('demo/a-web-v1-local')?.ports).toEqual([]);
    expect(bad.problems).toEqual([expect.stringContaining('targetPort "nope"')]);
  });
});
