import { copyFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { credentials } from '@grpc/grpc-js';
import { createFsSource } from '@trellis/kube';
import { inbound } from '@trellis/proto';
import { createTempDir } from '@trellis/testing';
import { pino } from 'pino';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { startDestination } from './destination';

// The repository's examples/ (what `npm start` copies and serves) with the Pod the local runner writes for a
// hello replica: the policy in hello-policy.yaml is accepted whole and admits the demo's loopback callers.
const EXAMPLES = fileURLToPath(new URL('../../../examples', import.meta.url));

const helloPod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'hello-v1-local-0', namespace: 'demo', labels: { app: 'hello', version: 'v1', 'pod-template-hash': 'local' } },
  spec: { serviceAccountName: 'default', containers: [] },
  status: { podIP: '127.0.0.11' },
};

describe('examples/hello-policy.yaml', () => {
  it('is served for the hello pods: the Server, the loopback authorization, the rate limit; nothing rejected', async () => {
    const dir = await createTempDir('trellis-examples-');
    const source = createFsSource(dir.path, { debounceMs: 5, rescanIntervalMs: 200 });
    try {
      for (const file of (await readdir(EXAMPLES)).filter((f) => f.endsWith('.yaml'))) await copyFile(join(EXAMPLES, file), join(dir.path, file));
      await writeFile(join(dir.path, 'pod.yaml'), stringify(helloPod));
      await source.rescan();
      const destination = await startDestination({ source, logger: pino({ level: 'silent' }), host: '127.0.0.1', grpcPort: 0, policyPort: 0, adminPort: 0, clusterDomain: 'cluster.local', streamQueueLimit: 10 });
      const client = new inbound.InboundServerPoliciesClient(`127.0.0.1:${destination.policyPort}`, credentials.createInsecure());
      try {
        const server = await new Promise<inbound.Server>((resolve, reject) =>
          client.getPort({ workload: JSON.stringify({ ns: 'demo', pod: helloPod.metadata.name }), port: 8080 }, (err, s) => (err ? reject(err) : resolve(s))),
        );
        expect(server.labels.name).toBe('hello-http');
        expect(server.authorizations.map((a) => [a.labels.name, a.networks.map((n) => n.net?.prefixLen)])).toEqual([['hello-from-local', [8, 128]]]);
        expect(server.httpLocalRateLimit?.identity?.requestsPerSecond).toBeGreaterThanOrEqual(100);
        const metrics = await (await fetch(`http://127.0.0.1:${destination.adminPort}/metrics`)).text();
        expect(metrics).not.toMatch(/^destination_policy_invalid_total\{/m);
      } finally {
        client.close();
        await destination.close();
      }
    } finally {
      await source.close();
      await dir.remove();
    }
  });
});
