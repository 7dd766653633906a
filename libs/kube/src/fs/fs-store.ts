import { mkdir, readFile, unlink } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import type { Document } from 'yaml';
import { isScalar, parseAllDocuments, stringify } from 'yaml';
import { KubeError } from '../errors';
import type { KubeObject } from '../model';
import { DEFAULT_NAMESPACE } from '../model';
import { writeFileAtomic } from './atomic-write';
import { isManifestPath, listManifestFiles } from './list-manifest-files';
import { MAX_FILE_BYTES } from './parse-manifest';

/** fs only: writes used by the autoscaler's fs actuator and the local runner. Atomic (write temp + rename). */
export interface FsStore {
  /** Sets spec.replicas of a Deployment in the file that defines it; other documents and comments are kept. */
  setDeploymentReplicas(namespace: string, name: string, replicas: number): Promise<void>;
  /** Writes one object as the whole content of `file` (relative to the folder, or absolute inside it). */
  writeObject(file: string, obj: KubeObject): Promise<void>;
  /** Writes several objects as a multi-document file. */
  writeObjects(file: string, objs: KubeObject[]): Promise<void>;
  /** Removes a file; a missing file is not an error. */
  removeFile(file: string): Promise<void>;
}

function isDeployment(doc: Document, namespace: string, name: string): boolean {
  return (
    doc.get('kind') === 'Deployment' &&
    doc.getIn(['metadata', 'name']) === name &&
    (doc.getIn(['metadata', 'namespace']) ?? DEFAULT_NAMESPACE) === namespace
  );
}

function render(path: string, objs: KubeObject[]): string {
  if (path.toLowerCase().endsWith('.json')) {
    const value = objs.length === 1 ? objs[0] : { apiVersion: 'v1', kind: 'List', items: objs };
    return `${JSON.stringify(value, null, 2)}\n`;
  }
  return objs.map((obj) => stringify(obj)).join('---\n');
}

/** New text for `text` with the Deployment's spec.replicas set, or undefined when it is not defined there. */
function withReplicas(path: string, text: string, namespace: string, name: string, replicas: number): string | undefined {
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs)) return undefined;
  const doc = docs.find((d) => d.errors.length === 0 && isDeployment(d, namespace, name));
  if (!doc) return undefined;
  const node = doc.getIn(['spec', 'replicas'], true);
  // Replace the number in place when it is there: every other byte of the file stays as written.
  if (isScalar(node) && node.range) {
    return `${text.slice(0, node.range[0])}${replicas}${text.slice(node.range[1])}`;
  }
  doc.setIn(['spec', 'replicas'], replicas);
  if (path.toLowerCase().endsWith('.json')) return render(path, docs.map((d) => d.toJS() as KubeObject));
  return docs.map((d, i) => (i > 0 && !d.directives?.docStart ? `---\n${d.toString()}` : d.toString())).join('');
}

export function createFsStore(directory: string): FsStore {
  const dir = resolve(directory);
  const located = new Map<string, string>();
  let queue: Promise<unknown> = Promise.resolve();

  // Writes run one at a time so that two read-modify-write edits of one file never lose an update.
  const serialized = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work, work);
    queue = next.catch(() => undefined);
    return next;
  };

  const pathOf = (file: string): string => {
    const path = isAbsolute(file) ? resolve(file) : resolve(dir, file);
    const rel = relative(dir, path);
    if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
      throw new KubeError('KUBE_PATH_OUTSIDE_DIR', `${file} is not inside the manifest folder ${dir}`);
    }
    return path;
  };

  const tryEdit = async (path: string, namespace: string, name: string, replicas: number): Promise<boolean> => {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch {
      return false;
    }
    if (Buffer.byteLength(text) > MAX_FILE_BYTES) return false;
    const edited = withReplicas(path, text, namespace, name, replicas);
    if (edited === undefined) return false;
    if (edited !== text) await writeFileAtomic(path, edited);
    return true;
  };

  const setDeploymentReplicas = (namespace: string, name: string, replicas: number) =>
    serialized(async () => {
      if (!Number.isSafeInteger(replicas) || replicas < 0) {
        throw new KubeError('KUBE_BAD_ARGUMENT', `replicas must be a non-negative integer, got ${replicas}`);
      }
      const key = `${namespace}/${name}`;
      const known = located.get(key);
      if (known && (await tryEdit(known, namespace, name, replicas))) return;
      located.delete(key);
      for (const file of await listManifestFiles(dir)) {
        const path = join(dir, file);
        if (await tryEdit(path, namespace, name, replicas)) {
          located.set(key, path);
          return;
        }
      }
      throw new KubeError('KUBE_OBJECT_NOT_FOUND', `no manifest in ${dir} defines Deployment ${namespace}/${name}`);
    });

  const writeObjects = (file: string, objs: KubeObject[]) =>
    serialized(async () => {
      const path = pathOf(file);
      if (!isManifestPath(relative(dir, path))) {
        throw new KubeError('KUBE_BAD_ARGUMENT', `${file} must end in .yaml, .yml or .json and have no hidden segment`);
      }
      await mkdir(dirname(path), { recursive: true });
      await writeFileAtomic(path, render(path, objs));
    });

  return {
    setDeploymentReplicas,
    writeObjects,
    writeObject: (file, obj) => writeObjects(file, [obj]),
    removeFile: (file) =>
      serialized(async () => {
        await unlink(pathOf(file)).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'ENOENT') throw err;
        });
      }),
  };
}
