import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { TempDir } from '@trellis/testing';
import { createTempDir, waitFor } from '@trellis/testing';
import { parse, parseAllDocuments } from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KubeError } from '../errors';
import type { Deployment, KubeObject } from '../model';
import { createFsSource } from './fs-source';
import { createFsStore } from './fs-store';

const MULTI = `# Shop manifests
apiVersion: v1
kind: Service
metadata: { name: web }   # the web service
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations:
    autoscaling.knative.dev/min-scale: "0" # scale to zero allowed
spec:
  replicas: 1 # written by the autoscaler
  template: {}
---
kind: Deployment
metadata: { name: web, namespace: other }
spec: { replicas: 7 }
`;

describe('fs store', () => {
  let dir: TempDir;

  beforeEach(async () => {
    dir = await createTempDir('trellis-fs-store-');
  });

  afterEach(async () => {
    await dir.remove();
  });

  it('edits spec.replicas in place, keeping other documents and comments byte for byte', async () => {
    const file = await dir.write('shop.yaml', MULTI);
    const store = createFsStore(dir.path);
    await store.setDeploymentReplicas('default', 'web', 5);
    const text = await readFile(file, 'utf8');
    expect(text).toBe(MULTI.replace('replicas: 1 #', 'replicas: 5 #'));
    await store.setDeploymentReplicas('other', 'web', 0);
    expect(await readFile(file, 'utf8')).toBe(MULTI.replace('replicas: 1 #', 'replicas: 5 #').replace('replicas: 7', 'replicas: 0'));
  });

  it('adds spec.replicas when the Deployment has none, in YAML and JSON files', async () => {
    const yamlFile = await dir.write('a.yaml', '# keep\nkind: Deployment\nmetadata: {name: a}\nspec:\n  template: {}\n---\nkind: Service\nmetadata: {name: a}\n');
    const jsonFile = await dir.write('b.json', JSON.stringify({ kind: 'Deployment', metadata: { name: 'b' } }));
    const store = createFsStore(dir.path);
    await store.setDeploymentReplicas('default', 'a', 3);
    await store.setDeploymentReplicas('default', 'b', 4);
    const docs = parseAllDocuments(await readFile(yamlFile, 'utf8'));
    expect(Array.isArray(docs) && docs.map((d) => d.toJS())).toEqual([
      { kind: 'Deployment', metadata: { name: 'a' }, spec: { template: {}, replicas: 3 } },
      { kind: 'Service', metadata: { name: 'a' } },
    ]);
    expect(await readFile(yamlFile, 'utf8')).toMatch(/^# keep/);
    expect(JSON.parse(await readFile(jsonFile, 'utf8'))).toEqual({ kind: 'Deployment', metadata: { name: 'b' }, spec: { replicas: 4 } });
  });

  it('rejects unknown Deployments, bad replica counts and paths outside the folder with typed errors', async () => {
    await dir.write('shop.yaml', MULTI);
    const store = createFsStore(dir.path);
    await expect(store.setDeploymentReplicas('default', 'nope', 1)).rejects.toMatchObject({ code: 'KUBE_OBJECT_NOT_FOUND' });
    await expect(store.setDeploymentReplicas('default', 'web', -1)).rejects.toMatchObject({ code: 'KUBE_BAD_ARGUMENT' });
    await expect(store.setDeploymentReplicas('default', 'web', 1.5)).rejects.toBeInstanceOf(KubeError);
    const obj: KubeObject = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'x' } };
    await expect(store.writeObject('../escape.yaml', obj)).rejects.toMatchObject({ code: 'KUBE_PATH_OUTSIDE_DIR' });
    await expect(store.writeObject('notes.txt', obj)).rejects.toMatchObject({ code: 'KUBE_BAD_ARGUMENT' });
    await expect(store.removeFile('/etc/passwd')).rejects.toMatchObject({ code: 'KUBE_PATH_OUTSIDE_DIR' });
  });

  it('writes and removes object files; removing a missing file is fine', async () => {
    const store = createFsStore(dir.path);
    const slice = { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 's' }, addressType: 'IPv4' };
    await store.writeObject('runner/s.yaml', slice);
    expect(parse(await readFile(join(dir.path, 'runner/s.yaml'), 'utf8'))).toEqual(slice);
    await store.writeObjects('both.yaml', [slice, { ...slice, metadata: { name: 't' } }]);
    const docs = parseAllDocuments(await readFile(join(dir.path, 'both.yaml'), 'utf8'));
    expect(Array.isArray(docs) && docs.map((d) => d.toJS().metadata.name)).toEqual(['s', 't']);
    await store.removeFile('runner/s.yaml');
    await store.removeFile('runner/s.yaml');
    expect(await readdir(join(dir.path, 'runner'))).toEqual([]);
  });

  it('never exposes a partial file to a concurrent reader and leaves no temp files', async () => {
    const store = createFsStore(dir.path);
    const file = join(dir.path, 'big.json');
    const objectOf = (i: number): KubeObject & { data: string } => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `p${i}` },
      data: String(i).repeat(100_000),
    });
    await store.writeObject('big.json', objectOf(0));
    let writing = true;
    const reads: string[] = [];
    const reader = (async () => {
      for (let n = 0; writing && n < 10_000; n++) {
        const value = JSON.parse(await readFile(file, 'utf8')) as { metadata: { name: string }; data: string };
        reads.push(`${value.metadata.name}:${value.data.length}`);
      }
    })();
    for (let i = 1; i <= 20; i++) await store.writeObject('big.json', objectOf(i));
    writing = false;
    await reader;
    expect(reads.length).toBeGreaterThan(0);
    for (const r of reads) expect(r).toMatch(/^p(\d+):(\d+)$/);
    for (const r of reads) {
      const [name, length] = r.split(':');
      expect(Number(length)).toBe(String(name?.slice(1)).repeat(100_000).length);
    }
    expect(await readdir(dir.path)).toEqual(['big.json']);
  });

  it('serializes concurrent edits so none is lost, and the fs source follows them', async () => {
    await dir.write('shop.yaml', MULTI);
    const store = createFsStore(dir.path);
    const source = createFsSource(dir.path);
    try {
      await Promise.all([store.setDeploymentReplicas('default', 'web', 2), store.setDeploymentReplicas('other', 'web', 9)]);
      const deployment = (ns: string): Deployment | undefined => source.deployments.get(ns, 'web');
      await waitFor(() => deployment('default')?.spec?.replicas === 2 && deployment('other')?.spec?.replicas === 9, {
        what: 'source sees both edits',
      });
      expect(source.services.get('default', 'web')).toBeDefined();
    } finally {
      await source.close();
    }
  });
});
