import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServiceError } from '@grpc/grpc-js';
import { credentials, status } from '@grpc/grpc-js';
import { inbound } from '@trellis/proto';
import type { TempDir } from '@trellis/testing';
import { bundleEntry, createTempDir, waitFor } from '@trellis/testing';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamRecorder, metricValue } from './testing/destination-harness';

// A real destination process on an fs folder, a grpc-js InboundServerPolicies client, and live edits of the
// policy files: the stream follows valid edits and ignores (and counts) invalid ones.
const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
// Its own bundle path, so this file and cli-process.spec.ts can bundle at the same time.
const BUNDLE = fileURLToPath(new URL('../../../dist/test/destination-inbound/main.mjs', import.meta.url));
// Node loads @kubernetes/client-node at start: seconds on a busy 2-core machine, hence generous bounds.
const START_TIMEOUT_MS = 45_000;
const PROCESS_TEST_TIMEOUT_MS = 90_000;
const WORKLOAD = JSON.stringify({ ns: 'shop', pod: 'api-0' });

const pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'api-0', namespace: 'shop', labels: { app: 'api' } },
  spec: { serviceAccountName: 'api', containers: [{ name: 'app', ports: [{ name: 'http', containerPort: 8080 }] }] },
  status: { podIP: '127.0.0.31' },
};
const server = {
  apiVersion: 'policy.linkerd.io/v1beta3',
  kind: 'Server',
  metadata: { name: 'api-http', namespace: 'shop' },
  spec: { podSelector: { matchLabels: { app: 'api' } }, port: 'http', proxyProtocol: 'HTTP/1' },
};
const network = (cidr: string) => ({
  apiVersion: 'policy.linkerd.io/v1alpha1',
  kind: 'NetworkAuthentication',
  metadata: { name: 'lan', namespace: 'shop' },
  spec: { networks: [{ cidr }] },
});
const authz = {
  apiVersion: 'policy.linkerd.io/v1alpha1',
  kind: 'AuthorizationPolicy',
  metadata: { name: 'web-to-api', namespace: 'shop' },
  spec: {
    targetRef: { group: 'policy.linkerd.io', kind: 'Server', name: 'api-http' },
    requiredAuthenticationRefs: [
      { group: 'policy.linkerd.io', kind: 'NetworkAuthentication', name: 'lan' },
      { group: 'policy.linkerd.io', kind: 'MeshTLSAuthentication', name: 'web' },
    ],
  },
};
const meshTLS = {
  apiVersion: 'policy.linkerd.io/v1alpha1',
  kind: 'MeshTLSAuthentication',
  metadata: { name: 'web', namespace: 'shop' },
  spec: { identityRefs: [{ kind: 'ServiceAccount', name: 'web' }] },
};
const rateLimit = (requestsPerSecond: number) => ({
  apiVersion: 'policy.linkerd.io/v1alpha1',
  kind: 'HTTPLocalRateLimitPolicy',
  metadata: { name: 'api-limit', namespace: 'shop' },
  spec: { targetRef: { group: 'policy.linkerd.io', kind: 'Server', name: 'api-http' }, total: { requestsPerSecond } },
});

let dir: TempDir;
let child: ChildProcess | undefined;
let ports: { policyPort: number; adminPort: number };

/** Writes beside, then renames: the source never sees half a file. */
async function put(file: string, obj: object): Promise<void> {
  const aside = join(dir.path, `.${file}.tmp`);
  await writeFile(aside, stringify(obj));
  await rename(aside, join(dir.path, file));
}

beforeAll(async () => {
  await bundleEntry(MAIN, BUNDLE);
  dir = await createTempDir('trellis-inbound-');
  await put('pod.yaml', pod);
  await put('server.yaml', server);
  await put('network.yaml', network('10.0.0.0/8'));
  await put('meshtls.yaml', meshTLS);
  await put('authz.yaml', authz);
  await put('ratelimit.yaml', rateLimit(100));
  ports = await startProcess();
}, 2 * START_TIMEOUT_MS);

afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await dir?.remove();
});

async function startProcess(): Promise<{ policyPort: number; adminPort: number }> {
  const args = ['--source', `fs:${dir.path}`, '--grpc-port', '0', '--policy-port', '0', '--admin-port', '0', '--listen-host', '127.0.0.1'];
  const proc = spawn(process.execPath, [BUNDLE, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  child = proc;
  let stdout = '';
  proc.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  proc.stderr?.on('data', () => undefined);
  let listening: { policyPort: number; adminPort: number } | undefined;
  await waitFor(
    () => {
      const line = stdout.split('\n').find((l) => l.includes('"msg":"listening"'));
      if (line) listening = JSON.parse(line) as { policyPort: number; adminPort: number };
      return listening !== undefined || proc.exitCode !== null;
    },
    { what: 'the listening line', timeoutMs: START_TIMEOUT_MS, intervalMs: 50 },
  );
  if (!listening) throw new Error(`destination exited: ${stdout}`);
  return listening;
}

const firstCidr = (m: inbound.Server | undefined) => {
  const ip = m?.authorizations[0]?.networks[0]?.net?.ip?.ip;
  return ip?.$case === 'ipv4' ? [ip.value >>> 24, (ip.value >>> 16) & 255, (ip.value >>> 8) & 255, ip.value & 255].join('.') : undefined;
};

function getPort(client: inbound.InboundServerPoliciesClient, spec: inbound.PortSpec): Promise<inbound.Server> {
  return new Promise((resolve, reject) => client.getPort(spec, (err, server) => (err ? reject(err) : resolve(server))));
}

describe('InboundServerPolicies served by a destination process from an fs folder', () => {
  it('streams the Server for a pod port, follows a live edit, and keeps the last valid policy on bad input', async () => {
    const { policyPort, adminPort } = ports;
    const client = new inbound.InboundServerPoliciesClient(`127.0.0.1:${policyPort}`, credentials.createInsecure());
    const metrics = async () => (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
    try {
      const stream = new StreamRecorder(client.watchPort({ workload: WORKLOAD, port: 8080 }));
      const first = await stream.nth(1);
      expect(first.labels).toEqual({ group: 'policy.linkerd.io', kind: 'server', name: 'api-http' });
      expect(first.protocol?.kind?.$case).toBe('http1');
      expect(firstCidr(first)).toBe('10.0.0.0');
      expect(first.authorizations[0]?.authentication).toEqual({
        permit: { $case: 'meshTLS', value: { clients: { $case: 'identities', value: { identities: [{ name: 'web.shop.serviceaccount.identity.cluster.local' }], suffixes: [] } } } },
      });
      expect(first.httpLocalRateLimit?.total).toEqual({ requestsPerSecond: 100 });

      await put('network.yaml', network('192.168.0.0/16'));
      expect(firstCidr(await stream.nth(2))).toBe('192.168.0.0');

      await put('ratelimit.yaml', rateLimit(-5));
      await put('network.yaml', network('192.168.0.0/33'));
      const series = (kind: string, reason: string) => `destination_policy_invalid_total{kind="${kind}",reason="${reason}"}`;
      let text = '';
      await waitFor(
        async () => {
          text = await metrics();
          return metricValue(text, series('HTTPLocalRateLimitPolicy', 'InvalidRate')) === 1 && metricValue(text, series('NetworkAuthentication', 'InvalidCIDR')) === 1;
        },
        { what: 'both rejections counted', intervalMs: 50 },
      );
      const now = await getPort(client, { workload: WORKLOAD, port: 8080 });
      expect(now.httpLocalRateLimit?.total).toEqual({ requestsPerSecond: 100 });
      expect(firstCidr(now)).toBe('192.168.0.0');
      expect(stream.messages).toHaveLength(2);

      await put('ratelimit.yaml', rateLimit(20));
      expect((await stream.nth(3)).httpLocalRateLimit?.total).toEqual({ requestsPerSecond: 20 });
      expect(metricValue(await metrics(), 'destination_updates_sent_total{type="inbound_policy"}')).toBeGreaterThanOrEqual(4);
      stream.cancel();
    } finally {
      client.close();
    }
  }, PROCESS_TEST_TIMEOUT_MS);

  it('answers the default policy for a port no Server selects, reads the legacy workload form, and rejects a bad workload', async () => {
    const client = new inbound.InboundServerPoliciesClient(`127.0.0.1:${ports.policyPort}`, credentials.createInsecure());
    try {
      const other = await getPort(client, { workload: 'shop:api-0', port: 9090 });
      expect(other.labels).toEqual({ group: '', kind: 'default', name: 'all-unauthenticated' });
      expect(other.protocol?.kind?.$case).toBe('detect');
      const err = await getPort(client, { workload: 'not a workload', port: 8080 }).catch((e: unknown) => e as ServiceError);
      expect((err as ServiceError).code).toBe(status.INVALID_ARGUMENT);
      expect((err as ServiceError).details).toContain('expected {"ns":"<namespace>","pod":"<pod>"} or <namespace>:<pod>');
    } finally {
      client.close();
    }
  }, PROCESS_TEST_TIMEOUT_MS);
});
