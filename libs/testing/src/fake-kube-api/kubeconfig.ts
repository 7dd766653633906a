import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';

/** A kubeconfig that points a real client at `server` over plain HTTP with a bearer token. */
export function fakeKubeconfigYaml(server: string, token = 'fake-token'): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'fake', cluster: { server, 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'fake', user: { token } }],
    contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'fake', namespace: 'default' } }],
    'current-context': 'fake',
  });
}

/** Writes that kubeconfig into `dir` and returns its path (use as KUBECONFIG or with KubeConfig.loadFromFile). */
export async function writeFakeKubeconfig(dir: string, server: string, token = 'fake-token'): Promise<string> {
  const path = join(dir, 'kubeconfig.yaml');
  await writeFile(path, fakeKubeconfigYaml(server, token), { mode: 0o600 });
  return path;
}
