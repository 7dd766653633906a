import { spawn, type ChildProcess } from 'node:child_process';
import { cp, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTempDir, freePorts, waitFor, type TempDir } from '@trellis/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// `npm start --dir` on the demo plus three broken manifests: each is named on the console with its file and the
// reason, whether the runner's source finds it (bad YAML) or only the destination does (a ServiceProfile or an
// HTTPRoute that parses but is invalid), and the mesh still starts. Own ports and loopback addresses.
const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', '..');
const PORTS = await freePorts(['outbound', 'destination', 'policy', 'destinationAdmin', 'metrics']);
const ADDRESSES = '127.76.0.2-127.76.0.60';
const START_TIMEOUT_MS = 60_000;

const BAD_PROFILE = `apiVersion: linkerd.io/v1alpha2
kind: ServiceProfile
metadata: {name: hello-v2.demo.svc.cluster.local, namespace: demo}
spec:
  routes:
    - name: slow
      condition: {method: GET, pathRegex: /slow}
      timeout: banana
`;
const BAD_ROUTE = `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: bad-route, namespace: demo}
spec:
  parentRefs: [{name: hello-v2, kind: Service, group: core, port: 80}]
  rules:
    - matches: [{path: {type: RegularExpression, value: "("}}]
      backendRefs: [{name: hello-v2, port: 80}]
`;

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('npm start prints start-up manifest problems on the console', () => {
  let dir: TempDir;
  let mesh: ChildProcess | undefined;
  let exited: Promise<number | null>;
  let output = '';

  beforeAll(async () => {
    dir = await createTempDir('trellis-startup-problems-');
    await cp(join(ROOT, 'examples'), dir.path, { recursive: true });
    await writeFile(join(dir.path, 'bad-profile.yaml'), BAD_PROFILE);
    await writeFile(join(dir.path, 'bad-route.yaml'), BAD_ROUTE);
    await writeFile(join(dir.path, 'broken.yaml'), 'kind: [\n');
    const argv = [
      join(ROOT, 'dist/tools/local/start.js'),
      ...['--dir', dir.path, '--no-autoscaler', '--outbound-port', String(PORTS.outbound), '--destination-port', String(PORTS.destination), '--policy-port', String(PORTS.policy)],
      ...['--destination-admin-port', String(PORTS.destinationAdmin), '--metrics-port', String(PORTS.metrics), '--addresses', ADDRESSES, '--status-interval', '0'],
    ];
    const child = spawn(process.execPath, argv, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    mesh = child;
    exited = new Promise((r) => child.once('exit', (code) => r(code)));
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    await waitFor(() => output.includes('trellis: local mesh ready') || child.exitCode !== null, { what: 'mesh ready', timeoutMs: START_TIMEOUT_MS, intervalMs: 100 });
    if (!output.includes('trellis: local mesh ready')) throw new Error(`npm start failed:\n${output}`);
  }, START_TIMEOUT_MS + 10_000);

  afterAll(async () => {
    if (mesh && mesh.exitCode === null) {
      mesh.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
    }
    await dir?.remove();
  }, 30_000);

  const line = (pattern: RegExp) => waitFor(() => output.split('\n').find((l) => pattern.test(l)), { what: `a line matching ${pattern}`, timeoutMs: 10_000, intervalMs: 100 });

  it('names a file that is not YAML (found by the runner)', async () => {
    expect(await line(/^runner: manifest problem: /)).toMatch(new RegExp(`^runner: manifest problem: ${escape(join(dir.path, 'broken.yaml'))} YAML error`));
  });

  it('names an invalid ServiceProfile with its file and reason (found by the destination)', async () => {
    expect(await line(/^destination: manifest problem: .*ServiceProfile/)).toMatch(
      new RegExp(`^destination: manifest problem: ${escape(join(dir.path, 'bad-profile.yaml'))} ServiceProfile demo/hello-v2\\.demo\\.svc\\.cluster\\.local: spec\\.routes\\[0\\]\\.timeout: invalid duration "banana"`),
    );
  });

  it('names an invalid HTTPRoute with its file and reason (found by the destination)', async () => {
    expect(await line(/^destination: manifest problem: .*HTTPRoute/)).toMatch(
      new RegExp(`^destination: manifest problem: ${escape(join(dir.path, 'bad-route.yaml'))} HTTPRoute demo/bad-route: InvalidRegex: .*invalid regular expression`),
    );
  });

  it('starts the demo all the same, and reports each problem once', async () => {
    expect(output).toContain('runner started: demo/greeter ×2, demo/hello-v1 ×2, demo/hello-v2 ×1');
    expect(output.split('\n').filter((l) => l.startsWith('destination: manifest problem:'))).toHaveLength(2);
  });
});
