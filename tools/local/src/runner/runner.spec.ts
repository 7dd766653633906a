import { readFile, readdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { build } from 'esbuild';
import type { EndpointSlice } from '@trellis/kube';
import type { TempDir } from '@trellis/testing';
import { createTempDir, processAlive, waitFor } from '@trellis/testing';
import { parse } from 'yaml';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LocalRunner, SLICE_FOLDER } from './runner';

// Runs real processes: the demo app (bundled once) behind a stand-in proxy (fixtures/fake-proxy.mjs) on
// addresses of their own, so the test never clashes with a real local mesh on 127.0.0.x.
const ADDRESSES = '127.71.0.2-127.71.0.40';
const here = fileURLToPath(new URL('.', import.meta.url));
const fakeProxy = join(here, 'fixtures', 'fake-proxy.mjs');

const manifest = (replicas: number, command: string) => `apiVersion: v1
kind: Service
metadata: {name: web, namespace: demo}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: demo
  annotations:
    local.trellis.io/command: '${command}'
spec:
  replicas: ${replicas}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: app
          env: [{name: DEMO_VERSION, value: v7}]
`;

interface EndpointState {
  address: string;
  ready: boolean;
}

describe('local runner', () => {
  let bundleDir: TempDir;
  let dir: TempDir;
  let runner: LocalRunner | undefined;
  let demoCommand: string;
  const messages: string[] = [];

  const slices = async (): Promise<EndpointState[]> => {
    const files = await readdir(join(dir.path, SLICE_FOLDER)).catch(() => []);
    const out: EndpointState[] = [];
    for (const f of files) {
      const slice = parse(await readFile(join(dir.path, SLICE_FOLDER, f), 'utf8')) as EndpointSlice;
      for (const e of slice.endpoints ?? []) out.push({ address: e.addresses[0] ?? '', ready: e.conditions?.ready === true });
    }
    return out;
  };
  const readyCount = async () => (await slices()).filter((e) => e.ready).length;
  // The stand-in proxy's probe checks only that the app accepts TCP; under CI load its first forward has once
  // answered 502 right after, so the answer is awaited (bounded) rather than taken from one try.
  const hello = (address: string) =>
    waitFor(
      async () => {
        const res = await fetch(`http://${address}:8012/hello`);
        return res.ok ? ((await res.json()) as { replica: string; version: string }) : undefined;
      },
      { what: `/hello from ${address}`, timeoutMs: 5_000 },
    );

  beforeAll(async () => {
    bundleDir = await createTempDir('trellis-runner-bundle-');
    await build({
      entryPoints: [join(here, '..', 'demo-app.ts')],
      outfile: join(bundleDir.path, 'demo-app.mjs'),
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      logLevel: 'error',
      banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
    });
    demoCommand = `node ${join(bundleDir.path, 'demo-app.mjs')}`;
  });

  afterAll(async () => {
    await bundleDir.remove();
  });

  afterEach(async () => {
    await runner?.close();
    runner = undefined;
    await dir.remove();
    messages.length = 0;
  });

  const startRunner = async (replicas: number, command: string, random?: () => number) => {
    dir = await createTempDir('trellis-runner-');
    await dir.write('web.yaml', manifest(replicas, command));
    await dir.write(`${SLICE_FOLDER}/demo.stale.yaml`, 'kind: EndpointSlice\nmetadata: {name: stale, namespace: demo}\naddressType: IPv4\n');
    runner = new LocalRunner({
      dir: dir.path,
      proxyCommand: ['node', fakeProxy],
      addressRange: ADDRESSES,
      terminationGraceMs: 2_000,
      report: (m) => messages.push(m),
      ...(random ? { random } : {}),
    });
    await runner.start();
    return runner;
  };

  it('scales 1 → 3 → 0 → 2 as spec.replicas is edited, and the EndpointSlices follow', async () => {
    const r = await startRunner(1, demoCommand);
    const file = join(dir.path, 'web.yaml');
    // The slice, and the replica's Pod (the destination reads a meshed pod's identity and owner from it).
    expect((await readdir(join(dir.path, SLICE_FOLDER))).sort()).toEqual(['demo.web-web-local.yaml', 'pod.demo.web-0.yaml']);
    await waitFor(async () => (await readyCount()) === 1, { what: '1 ready endpoint' });

    const seen = new Set<string>();
    for (const replicas of [3, 0, 2]) {
      await writeFile(file, manifest(replicas, demoCommand));
      await waitFor(async () => (await slices()).length === replicas && (await readyCount()) === replicas, {
        what: `${replicas} ready endpoints`,
        timeoutMs: 15_000,
      });
      const endpoints = await slices();
      const answers = await Promise.all(endpoints.map((e) => hello(e.address)));
      expect(new Set(answers.map((a) => a.replica)).size).toBe(replicas);
      expect(answers.every((a) => a.version === 'v7')).toBe(true);
      for (const e of endpoints) seen.add(e.address);
      // Awaited (bounded), not read once: a replica whose probes time out on a busy machine leaves rotation and
      // comes back, and the status says so in between (seen in CI while the answers above were awaited).
      const expected = [{ workload: 'demo/web', desired: replicas, ready: replicas, running: replicas, restarts: 0 }];
      await waitFor(() => isDeepStrictEqual(r.status(), expected), { what: `status ${JSON.stringify(expected)}`, timeoutMs: 15_000 });
    }
    // Addresses are not reused right after release: the two replicas started after scaling to 0 got fresh ones.
    expect(seen.size).toBe(5);
  });

  it('reports a manifest problem found at start-up, not only later ones', async () => {
    dir = await createTempDir('trellis-runner-');
    await dir.write('broken.yaml', 'kind: [\n');
    runner = new LocalRunner({ dir: dir.path, proxyCommand: ['node', fakeProxy], addressRange: ADDRESSES, report: (m) => messages.push(m) });
    await runner.start();
    expect(messages).toContainEqual(expect.stringMatching(/^manifest problem: \S*broken\.yaml YAML error/));
  });

  it('lists a replica as not ready until its readiness probe passes', async () => {
    const r = await startRunner(2, 'node -e setInterval(()=>{},1000)');
    await waitFor(async () => (await slices()).length === 2, { what: 'two endpoints' });
    // The app never listens, so the proxy's probe keeps failing: the endpoints stay listed but not ready.
    await waitFor(() => messages.some((m) => m.includes('starting web-1')), { what: 'second replica started' });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await slices()).map((e) => e.ready)).toEqual([false, false]);
    expect(r.status()[0]).toMatchObject({ desired: 2, ready: 0, running: 2 });

    const oldAddresses = new Set((await slices()).map((e) => e.address));
    await writeFile(join(dir.path, 'web.yaml'), manifest(2, demoCommand));
    await waitFor(async () => (await readyCount()) === 2 && (await slices()).length === 2, { what: 'replaced by ready replicas', timeoutMs: 15_000 });
    const now = (await slices()).map((e) => e.address);
    expect(now.some((a) => oldAddresses.has(a))).toBe(false);
  });

  it('backs off exponentially while a replica keeps crashing, keeping it not ready', async () => {
    const r = await startRunner(1, 'node -e process.exit(3)', () => 0);
    const delays = () => messages.flatMap((m) => /exited with code 3; restarting web-0 in (\d+) ms/.exec(m)?.[1] ?? []).map(Number);
    await waitFor(() => delays().length >= 3, { what: 'three restarts' });
    expect(delays().slice(0, 3)).toEqual([500, 1000, 2000]);
    expect(await slices()).toEqual([{ address: expect.stringMatching(/^127\.71\./), ready: false }]);
    expect(r.status()[0]).toMatchObject({ desired: 1, ready: 0, running: 1 });
  });

  it('restarts a killed replica on the same address and stops every process on close', async () => {
    const r = await startRunner(2, demoCommand);
    await waitFor(async () => (await readyCount()) === 2, { what: '2 ready' });
    const before = r.replicaInfo();
    const victim = before[0];
    const appPid = victim?.pids[0];
    expect(appPid).toBeDefined();
    process.kill(appPid ?? 0, 'SIGKILL');

    await waitFor(() => r.status()[0]?.restarts === 1, { what: 'restart counted' });
    // Ready again with a new app process, and listed ready again in the slice.
    const after = await waitFor(
      () => r.replicaInfo().find((i) => i.podName === victim?.podName && i.phase === 'ready' && i.pids[0] !== appPid),
      { what: 'replica restarted and ready' },
    );
    await waitFor(async () => (await readyCount()) === 2 && r.status()[0]?.ready === 2, { what: 'back to 2 ready' });
    expect(after?.address).toBe(victim?.address);
    expect(after?.pids[0]).not.toBe(appPid);
    expect((await hello(after?.address ?? '')).replica).toBe(victim?.podName);
    expect(messages.some((m) => m.includes(`${victim?.podName}/app killed by SIGKILL`))).toBe(true);

    const pids = r.replicaInfo().flatMap((i) => i.pids);
    expect(pids).toHaveLength(4);
    await r.close();
    expect(pids.filter(processAlive)).toEqual([]);
    expect(await readdir(join(dir.path, SLICE_FOLDER))).toEqual([]);
  });
});
