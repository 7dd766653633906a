import { spawn, type ChildProcess } from 'node:child_process';
import { request, Agent } from 'node:http';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleEntry, createTempDir, waitFor, type TempDir } from '@trellis/testing';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metric } from '../outbound/testing/harness';
import { startHarness, until, type Harness } from './testing/harness';

// The real destination service on an fs folder of policy.linkerd.io manifests, serving WatchPort to a real
// inbound proxy: the policy follows live edits of the folder.
const MAIN = fileURLToPath(new URL('../../../destination/src/main.ts', import.meta.url));
const BUNDLE = fileURLToPath(new URL('../../../../dist/test/proxy-inbound/destination.mjs', import.meta.url));
// Node loads @kubernetes/client-node at start: seconds on a busy 2-core machine, hence generous bounds.
const START_TIMEOUT_MS = 45_000;

let dir: TempDir;
let child: ChildProcess | undefined;
let h: Harness;
let destinationAdmin: number;

/** Writes beside, then renames: the source never sees half a file. */
async function put(file: string, obj: object): Promise<void> {
  const aside = join(dir.path, `.${file}.tmp`);
  await writeFile(aside, stringify(obj));
  await rename(aside, join(dir.path, file));
}

async function spawnDestination(): Promise<{ policyPort: number; adminPort: number }> {
  const proc = spawn(
    process.execPath,
    [BUNDLE, '--source', `fs:${dir.path}`, '--grpc-port', '0', '--policy-port', '0', '--admin-port', '0', '--listen-host', '127.0.0.1'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child = proc;
  let stdout = '';
  proc.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
  proc.stderr?.on('data', () => undefined);
  let ports: { policyPort: number; adminPort: number } | undefined;
  await waitFor(
    () => {
      const line = stdout.split('\n').find((l) => l.includes('"msg":"listening"'));
      if (line) ports = JSON.parse(line) as { policyPort: number; adminPort: number };
      return ports !== undefined || proc.exitCode !== null;
    },
    { what: 'the destination listening line', timeoutMs: START_TIMEOUT_MS, intervalMs: 50 },
  );
  if (ports === undefined) throw new Error(`destination exited: ${stdout}`);
  return ports;
}

const network = (cidr: string) => ({
  apiVersion: 'policy.linkerd.io/v1alpha1',
  kind: 'NetworkAuthentication',
  metadata: { name: 'lan', namespace: 'default' },
  spec: { networks: [{ cidr }] },
});

function call(port: number, from: string, agent?: Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', localAddress: from, agent: agent ?? false });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  await bundleEntry(MAIN, BUNDLE);
  dir = await createTempDir('trellis-inbound-policy-');
  await put('server.yaml', {
    apiVersion: 'policy.linkerd.io/v1beta3',
    kind: 'Server',
    metadata: { name: 'hello-http', namespace: 'default' },
    spec: { podSelector: { matchLabels: { app: 'hello' } }, port: 'http', proxyProtocol: 'HTTP/1' },
  });
  await put('network.yaml', network('127.0.0.1/32'));
  await put('authz.yaml', {
    apiVersion: 'policy.linkerd.io/v1alpha1',
    kind: 'AuthorizationPolicy',
    metadata: { name: 'lan-only', namespace: 'default' },
    spec: {
      targetRef: { group: 'policy.linkerd.io', kind: 'Server', name: 'hello-http' },
      requiredAuthenticationRefs: [{ group: 'policy.linkerd.io', kind: 'NetworkAuthentication', name: 'lan' }],
    },
  });
  const { policyPort, adminPort } = await spawnDestination();
  destinationAdmin = adminPort;
  h = await startHarness({ TRELLIS_POLICY_ADDR: `127.0.0.1:${policyPort}`, TRELLIS_DEFAULT_INBOUND_POLICY: 'deny' });
  // The pod's port is the harness app's, known only now; until the pod appears the destination sends its default policy.
  await put('pod.yaml', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'hello-00001-pod', namespace: 'default', labels: { app: 'hello' } },
    spec: { serviceAccountName: 'hello', containers: [{ name: 'app', ports: [{ name: 'http', containerPort: h.app.port }] }] },
    status: { podIP: '127.0.0.1' },
  });
}, 2 * START_TIMEOUT_MS);

afterAll(async () => {
  await h?.close();
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await dir?.remove();
});

describe('inbound policy from a real destination process (fs source)', () => {
  it('enforces the Server and AuthorizationPolicy of the folder, and follows a live edit without dropping the connection', async () => {
    const port = h.inbound.ports.http;
    // The static `deny`, then the destination's default for a pod it does not know yet, then the Server.
    const allowedByServer = async () => metric(await h.registry.metrics(), 'inbound_http_authz_allow_total', 'srv_name="hello-http",authz_name="lan-only"');
    await until(async () => (await call(port, '127.0.0.1')) === 200 && (await allowedByServer()) >= 1, 20_000, 'the Server policy from the destination');
    expect(await call(port, '127.0.0.2')).toBe(403);

    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      expect(await call(port, '127.0.0.2', agent)).toBe(403);
      await put('network.yaml', network('127.0.0.2/32'));
      await until(async () => (await call(port, '127.0.0.2', agent)) === 200, 20_000, 'the edited network');
      expect(await call(port, '127.0.0.1')).toBe(403);
    } finally {
      agent.destroy();
    }
    // An invalid edit (a malformed CIDR) is refused by the destination; the proxy keeps the policy in force.
    await put('network.yaml', network('127.0.0.0/40'));
    const invalid = async () => metric(await (await fetch(`http://127.0.0.1:${destinationAdmin}/metrics`)).text(), 'destination_policy_invalid_total', 'kind="NetworkAuthentication"');
    await until(async () => (await invalid()) >= 1, 20_000, 'the destination to refuse the edit');
    expect(await call(port, '127.0.0.2')).toBe(200);
    expect(await call(port, '127.0.0.1')).toBe(403);
  });
});
