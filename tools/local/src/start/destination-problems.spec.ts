import { appendFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTempDir, waitFor, type TempDir } from '@trellis/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { followDestinationProblems, manifestFileOf } from './destination-problems';

const profileRejected = JSON.stringify({ level: 40, namespace: 'demo', name: 'hello.demo.svc.cluster.local', reason: 'bad timeout', msg: 'ServiceProfile rejected; the last valid version stays in force' });
const annotationIgnored = JSON.stringify({ level: 40, namespace: 'demo', service: 'hello', annotation: 'balancer.trellis.io/algorithm', reason: 'unknown', msg: 'Service annotation ignored; its default applies' });
const sourceProblem = JSON.stringify({ level: 40, source: 'fs', file: '/x/broken.yaml', reason: 'YAML error', msg: 'source problem' });
const info = JSON.stringify({ level: 30, namespace: 'demo', name: 'x', reason: 'r', msg: 'listening' });

describe('followDestinationProblems', () => {
  let dir: TempDir;
  let close = () => undefined as void;
  afterEach(async () => {
    close();
    await dir?.remove();
  });

  it('reports warnings about objects with the file that defines them, once per text, across partial writes', async () => {
    dir = await createTempDir('trellis-problems-');
    await dir.write('manifests/a.yaml', 'apiVersion: v1\nkind: Service\nmetadata: {name: hello, namespace: demo}\n');
    await dir.write('manifests/b.yaml', 'apiVersion: linkerd.io/v1alpha2\nkind: ServiceProfile\nmetadata: {name: hello.demo.svc.cluster.local, namespace: demo}\n');
    const log = join(dir.path, 'destination.log');
    await writeFile(log, `${info}\n${sourceProblem}\n${profileRejected.slice(0, 30)}`);
    const seen: string[] = [];
    close = followDestinationProblems(log, join(dir.path, 'manifests'), (m) => seen.push(m)).close;
    await appendFile(log, `${profileRejected.slice(30)}\n${profileRejected}\n${annotationIgnored}\n`);
    await waitFor(() => seen.length >= 2, { what: 'two problems', timeoutMs: 5_000 });
    expect(seen).toEqual([
      `manifest problem: ${join(dir.path, 'manifests/b.yaml')} ServiceProfile demo/hello.demo.svc.cluster.local: bad timeout (ServiceProfile rejected; the last valid version stays in force)`,
      `manifest problem: ${join(dir.path, 'manifests/a.yaml')} Service demo/hello: balancer.trellis.io/algorithm: unknown (Service annotation ignored; its default applies)`,
    ]);
  });

  it('finds the first file in path order, skipping the runner-owned slices, and nothing for an unknown object', async () => {
    dir = await createTempDir('trellis-problems-');
    const route = 'apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r, namespace: demo}\n';
    await dir.write('local-endpoints/a.yaml', route);
    await dir.write('z/route.yaml', `---\n${route}`);
    expect(await manifestFileOf(dir.path, 'HTTPRoute', 'demo', 'r')).toBe(join(dir.path, 'z/route.yaml'));
    expect(await manifestFileOf(dir.path, 'HTTPRoute', 'demo', 'other')).toBeUndefined();
  });
});
