import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTempDir, waitFor, type TempDir } from '@trellis/testing';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startStatServer, type FakeStatServer } from './stat-server.test-helpers';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const main = join(root, 'apps/autoscaler/src/main.ts');

const manifests = (statPort: number) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  annotations:
    autoscaling.knative.dev/class: kpa.autoscaling.knative.dev
    autoscaling.knative.dev/target: "100"
spec:
  # replicas are written by the autoscaler
  replicas: 1
  template:
    metadata:
      labels:
        app: web
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
spec:
  selector:
    app: web
  ports:
    - port: 80
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: web-1
  namespace: shop
  labels:
    kubernetes.io/service-name: web
addressType: IPv4
ports:
  - name: queue-metrics
    port: ${statPort}
endpoints:
  - addresses: ["127.0.0.1"]
    conditions:
      ready: true
`;

interface Proc {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  exited: Promise<number | null>;
}

function start(args: string[]): Proc {
  const child = spawn(process.execPath, ['--import', 'tsx', main, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const proc: Proc = { child, stdout: '', stderr: '', exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
  child.stdout?.on('data', (d: Buffer) => (proc.stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (proc.stderr += d.toString()));
  return proc;
}

describe('autoscaler process (local mode)', () => {
  let dir: TempDir;
  let pod: FakeStatServer;
  const procs: Proc[] = [];

  beforeAll(async () => {
    pod = await startStatServer({ averageConcurrentRequests: 350 });
    dir = await createTempDir('autoscaler-main-');
    await dir.write('web.yaml', manifests(pod.port));
  });
  afterEach(async () => {
    for (const p of procs.splice(0)) {
      if (p.child.exitCode === null) p.child.kill('SIGKILL');
      await p.exited;
    }
  });
  afterAll(async () => {
    await pod.close();
    await dir.remove();
  });

  // A cold tsx start on a loaded 2-core machine can take many seconds, hence the generous bounds.
  it('scrapes the pod, writes spec.replicas into the manifest, serves /metrics and exits cleanly on SIGTERM', { timeout: 90_000 }, async () => {
    const p = start(['--source', `fs:${dir.path}`, '--admin-host', '127.0.0.1', '--admin-port', '0']);
    procs.push(p);
    const port = await waitFor(() => /"adminPort":(\d+)/.exec(p.stdout)?.[1], { what: 'startup log', timeoutMs: 60_000 });
    const base = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await request(`${base}/ready`)).statusCode === 200, { what: '/ready' });
    const text = await waitFor(
      async () => {
        const t = await readFile(join(dir.path, 'web.yaml'), 'utf8');
        return t.includes('replicas: 5') ? t : undefined;
      },
      { what: 'replicas: 5 in web.yaml', timeoutMs: 15_000 },
    );
    expect(text).toContain('# replicas are written by the autoscaler');
    expect(pod.scrapes).toBeGreaterThan(0);
    const metrics = await (await request(`${base}/metrics`)).body.text();
    expect(metrics).toMatch(/autoscaler_desired_pods\{namespace_name="shop",deployment_name="web"\} 5/);
    expect(metrics, metrics).toMatch(/autoscaler_panic_mode\{namespace_name="shop",deployment_name="web"\} 1/);
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    expect(p.stdout).toContain('"msg":"shutting down"');
  });

  it('refuses a bad flag with a clear message and exit code 2', { timeout: 60_000 }, async () => {
    const p = start(['--source', 'zookeeper']);
    procs.push(p);
    expect(await p.exited).toBe(2);
    expect(p.stderr).toMatch(/^autoscaler: --source: .+ \(see autoscaler --help\)\n$/);
  });

  it('prints its usage for --help and exits 0', { timeout: 60_000 }, async () => {
    const p = start(['--help']);
    procs.push(p);
    expect(await p.exited).toBe(0);
    expect(p.stdout).toMatch(/^usage: autoscaler \[flags\]/);
  });
});
