import { KubeConfig } from '@kubernetes/client-node';
import { fakeKubeconfigYaml, startFakeKubeApi, waitFor, type FakeKubeApiServer, type FakeObject } from '@trellis/testing';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startAutoscaler, type RunningAutoscaler } from './app';
import { parseFlags } from './flags';
import { startStatServer, type FakeStatServer } from './stat-server.test-helpers';

const logger = pino({ level: 'silent' });

describe('autoscaler against the fake Kubernetes API server', () => {
  let api: FakeKubeApiServer;
  let pod: FakeStatServer;
  let kc: KubeConfig;
  const running: RunningAutoscaler[] = [];

  const start = (identity: string) =>
    startAutoscaler(
      parseFlags(['--source', 'kubernetes', '--admin-host', '127.0.0.1', '--admin-port', '0', '--identity', identity, '--lease-namespace', 'mesh']),
      logger,
      kc,
    ).then((r) => {
      running.push(r);
      return r;
    });

  beforeAll(async () => {
    pod = await startStatServer({ averageConcurrentRequests: 350 });
    api = await startFakeKubeApi();
    kc = new KubeConfig();
    kc.loadFromString(fakeKubeconfigYaml(api.url, api.token ?? 'fake-token'));
    api.create({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: 'web',
        namespace: 'shop',
        annotations: {
          'autoscaling.knative.dev/class': 'kpa.autoscaling.knative.dev',
          'autoscaling.knative.dev/target': '50',
          'autoscaling.knative.dev/max-scale': '8',
          'autoscaling.knative.dev/window': 'soon',
        },
      },
      spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } } } },
    });
    api.create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'shop' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } });
    api.create({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'web-abc', namespace: 'shop', labels: { 'kubernetes.io/service-name': 'web' } },
      addressType: 'IPv4',
      ports: [{ name: 'queue-metrics', port: pod.port }],
      endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true }, targetRef: { kind: 'Pod', name: 'web-1', namespace: 'shop' } }],
    });
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((r) => r.close()));
  });
  afterAll(async () => {
    await api.close();
    await pod.close();
  });

  it('reads the annotations and patches the scale subresource', async () => {
    const r = await start('solo');
    const status = await waitFor(() => r.autoscaler.status('shop/web'), { what: 'target discovered' });
    expect(status.config).toMatchObject({ target: 50, maxScale: 8, stableWindowSec: 60 });
    expect(status.problems.map((p) => p.annotation)).toEqual(['autoscaling.knative.dev/window']);
    await waitFor(() => api.get<FakeObject & { spec: { replicas: number } }>({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web' })?.spec.replicas === 8, {
      what: 'replicas 8 (350 / 35 = 10, capped by max-scale)',
      timeoutMs: 15_000,
    });
    const patches = api.requests({ method: 'PATCH', path: /\/apis\/apps\/v1\/namespaces\/shop\/deployments\/web\/scale$/ });
    expect(patches.length).toBeGreaterThan(0);
    expect(patches[0]?.headers['content-type']).toContain('application/merge-patch+json');
    expect(JSON.parse(patches[0]?.body ?? '{}')).toEqual({ spec: { replicas: 8 } });
  });

  it('lets only one replica hold the Lease and actuate; the other takes over when it leaves', async () => {
    const [a, b] = await Promise.all([start('replica-a'), start('replica-b')]);
    await waitFor(() => a.isLeader() || b.isLeader(), { what: 'a leader' });
    const lease = () => api.get<FakeObject & { spec: { holderIdentity: string } }>({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace: 'mesh', name: 'trellis-autoscaler' });
    for (let i = 0; i < 5; i++) {
      expect([a.isLeader(), b.isLeader()].filter(Boolean)).toHaveLength(1);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const [leader, follower] = a.isLeader() ? [a, b] : [b, a];
    expect(lease()?.spec.holderIdentity).toBe(leader === a ? 'replica-a' : 'replica-b');
    await leader.close();
    await waitFor(() => follower.isLeader(), { what: 'follower takes over', timeoutMs: 10_000 });
    expect(lease()?.spec.holderIdentity).toBe(follower === a ? 'replica-a' : 'replica-b');
  });
});
