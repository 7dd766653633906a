import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { freePorts, waitFor } from '@trellis/testing';
import { request } from 'undici';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILT_FILES } from './local-mesh';
import { CHILD_GRACE_MS, E2eMesh, httpOk, START_TIMEOUT_MS, STOP_TIMEOUT_MS } from './testing/e2e-mesh';

// Issue 6 end to end in local mode: the built destination, autoscaler and proxies as real processes, the local
// runner turning the manifest folder into app + proxy processes on loopback addresses of their own. Load through
// the outbound proxy scales a Deployment up, the autoscaler takes it back to zero (and another to its min-scale)
// once the load stops, and a request sent at zero is held by the outbound proxy, which pokes the autoscaler, and
// succeeds. Everything is asserted on the manifest's spec.replicas, the runner's state and the answers.
const LOOPBACK = '127.0.0.1';
const PORTS = await freePorts(['outbound', 'destination', 'destinationAdmin', 'autoscaler', 'metrics']);
const ADDRESSES = '127.73.0.2-127.73.0.40';
const NAMESPACE = 'e2e';
// Knative's 30 s scale-to-zero grace period, shortened through the autoscaler's flag to keep the test short.
const GRACE_PERIOD = '2s';
const SCALE_UP_TIMEOUT_MS = 40_000;
const SCALE_DOWN_TIMEOUT_MS = 50_000;
const COLD_START_TIMEOUT_MS = 40_000;
// Per Deployment: this many clients loop on /slow, each request taking SLOW_MS at the app, so about this many
// requests are in flight against a concurrency target of 1 (70 % utilization): enough to enter panic at 1 pod.
const LOAD_WORKERS = 4;
const SLOW_MS = 400;
const LOAD_MAX_REQUESTS = 2_000;

// `zero` may scale to zero (min-scale 0); `floor` keeps one replica (min-scale 1). Short Knative windows: the 6 s
// minimum stable window (panic window 10 % of it) and no pod retention after the grace period.
const deployment = (name: string, minScale: number, maxScale: number) => `
apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: ${NAMESPACE}}
spec:
  selector: {app: ${name}}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: ${NAMESPACE}
  annotations:
    local.trellis.io/command: node ${BUILT_FILES.demo}
    autoscaling.knative.dev/class: kpa.autoscaling.knative.dev
    autoscaling.knative.dev/metric: concurrency
    autoscaling.knative.dev/target: "1"
    autoscaling.knative.dev/window: 6s
    autoscaling.knative.dev/min-scale: "${minScale}"
    autoscaling.knative.dev/max-scale: "${maxScale}"
    autoscaling.knative.dev/scale-to-zero-pod-retention-period: 0s
spec:
  replicas: 1
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers:
        - {name: app, image: trellis/demo}
        - {name: trellis-proxy, image: trellis/proxy}
`;

/** autoscaler_pokes_total{result="decided"}: pokes that found their target at zero and decided at once. */
async function decidedPokes(): Promise<number> {
  const res = await request(`http://${LOOPBACK}:${PORTS.autoscaler}/metrics`, { headersTimeout: 5_000, bodyTimeout: 5_000 });
  const text = await res.body.text();
  const line = text.split('\n').find((l) => l.startsWith('autoscaler_pokes_total{result="decided"}'));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

describe('autoscaling in local mode, end to end', () => {
  const mesh = new E2eMesh({ name: 'autoscale-e2e', host: LOOPBACK, ports: PORTS, addressRange: ADDRESSES });

  const manifest = () => join(mesh.dir.path, 'apps.yaml');
  /** spec.replicas of a Deployment as the manifest says now (the autoscaler's fs actuator writes it). */
  const manifestReplicas = (name: string): number | undefined => {
    for (const doc of parseAllDocuments(readFileSync(manifest(), 'utf8'))) {
      const obj = doc.toJS() as { kind?: string; metadata?: { name?: string }; spec?: { replicas?: number } } | null;
      if (obj?.kind === 'Deployment' && obj.metadata?.name === name) return obj.spec?.replicas;
    }
    return undefined;
  };
  const runnerStatus = (name: string) => mesh.runner?.status().find((s) => s.workload === `${NAMESPACE}/${name}`);
  const replicasOf = (name: string) => mesh.runner?.replicaInfo().filter((r) => r.workload === `${NAMESPACE}/${name}`) ?? [];
  const get = (service: string, path: string) =>
    request(`http://${service}.${NAMESPACE}.svc.cluster.local${path}`, { dispatcher: mesh.agent, headersTimeout: 90_000, bodyTimeout: 90_000 });

  beforeAll(async () => {
    await mesh.open();
    await mesh.dir.write('apps.yaml', [deployment('zero', 0, 3), deployment('floor', 1, 2)].join('---\n'));

    const autoscalerAddr = `${LOOPBACK}:${PORTS.autoscaler}`;
    const routing = { TRELLIS_DESTINATION_ADDR: mesh.destinationAddr, TRELLIS_AUTOSCALER_ADDR: autoscalerAddr };
    await mesh.startDestination(mesh.dir.path);
    await mesh.startRunner(mesh.dir.path, routing);
    mesh.start('autoscaler', [
      'node', BUILT_FILES.autoscaler,
      '--source', `fs:${mesh.dir.path}`,
      '--actuator', 'fs',
      '--admin-host', LOOPBACK,
      '--admin-port', String(PORTS.autoscaler),
      '--scale-to-zero-grace-period', GRACE_PERIOD,
    ]);
    await waitFor(() => httpOk(`http://${autoscalerAddr}/ready`), { what: 'autoscaler ready', timeoutMs: START_TIMEOUT_MS, intervalMs: 100 });
    await mesh.startOutboundProxy({ ...routing, TRELLIS_METRICS_PORT: String(PORTS.metrics) });
    await waitFor(() => runnerStatus('zero')?.ready === 1 && runnerStatus('floor')?.ready === 1, { what: 'one ready replica each', timeoutMs: START_TIMEOUT_MS, intervalMs: 100 });
  }, 3 * START_TIMEOUT_MS);

  afterAll(() => mesh.close(), STOP_TIMEOUT_MS + CHILD_GRACE_MS);

  it('scales both Deployments up under a bounded load of slow requests through the outbound proxy', async () => {
    let stop = false;
    let sent = 0;
    const statuses: number[] = [];
    const replicas = new Map<string, Set<string>>([['zero', new Set()], ['floor', new Set()]]);
    const worker = async (service: string) => {
      while (!stop && sent < LOAD_MAX_REQUESTS) {
        sent += 1;
        const res = await get(service, `/slow?ms=${SLOW_MS}`);
        statuses.push(res.statusCode);
        const replica = res.headers['x-trellis-replica'];
        if (typeof replica === 'string') replicas.get(service)?.add(replica);
        await res.body.dump();
      }
    };
    const load = Promise.all(['zero', 'floor'].flatMap((s) => Array.from({ length: LOAD_WORKERS }, () => worker(s))));
    try {
      await waitFor(() => (replicas.get('zero')?.size ?? 0) >= 2 && (replicas.get('floor')?.size ?? 0) >= 2, {
        what: 'answers from two replicas of each Deployment',
        timeoutMs: SCALE_UP_TIMEOUT_MS,
        intervalMs: 200,
      });
    } finally {
      stop = true;
      await load;
    }
    expect(manifestReplicas('zero')).toBeGreaterThanOrEqual(2);
    expect(manifestReplicas('floor')).toBe(2);
    expect(runnerStatus('zero')?.ready).toBeGreaterThanOrEqual(2);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
  }, SCALE_UP_TIMEOUT_MS + 10_000);

  it('takes them back to zero and to min-scale once the load stops', async () => {
    await waitFor(() => manifestReplicas('zero') === 0 && replicasOf('zero').length === 0, {
      what: 'zero at 0 replicas, its processes gone',
      timeoutMs: SCALE_DOWN_TIMEOUT_MS,
      intervalMs: 200,
    });
    await waitFor(() => manifestReplicas('floor') === 1 && runnerStatus('floor')?.running === 1, { what: 'floor at 1 replica', timeoutMs: SCALE_DOWN_TIMEOUT_MS, intervalMs: 200 });
    expect(runnerStatus('zero')).toMatchObject({ desired: 0, ready: 0, running: 0 });
    expect(runnerStatus('floor')).toMatchObject({ desired: 1, ready: 1 });
  }, 2 * SCALE_DOWN_TIMEOUT_MS);

  it('holds a request sent at zero, scales from zero and answers it', async () => {
    expect(manifestReplicas('zero')).toBe(0);
    const pokesBefore = await decidedPokes();
    const res = await get('zero', '/hello');
    const body = (await res.body.json()) as { message?: string; replica?: string };
    expect(res.statusCode).toBe(200);
    expect(body.message).toBe('hello');
    expect(body.replica).toMatch(/^zero-\d+$/);
    expect(manifestReplicas('zero')).toBeGreaterThanOrEqual(1);
    expect(runnerStatus('zero')?.ready).toBeGreaterThanOrEqual(1);
    // The outbound proxy poked the autoscaler, which found the target at zero and decided at once.
    expect(await decidedPokes()).toBeGreaterThan(pokesBefore);
  }, COLD_START_TIMEOUT_MS);

  it('stops every process it started', async () => {
    expect(mesh.pids.size).toBeGreaterThanOrEqual(3 + 2 * 3);
    await mesh.stop();
    expect(mesh.survivors()).toEqual([]);
    expect(readdirSync(join(mesh.dir.path, 'local-endpoints'))).toEqual([]);
  }, STOP_TIMEOUT_MS + CHILD_GRACE_MS);
});
