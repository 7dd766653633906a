import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Deployment, EndpointSlice, KubeObject } from '@trellis/kube';
import { parseAllDocuments } from 'yaml';
import { CliError } from './errors';

/** One replica the local runner started, as its EndpointSlices describe it. */
export interface Replica {
  namespace: string;
  pod: string;
  /** `namespace/name` of its Deployment. */
  workload: string;
  address: string;
  ready: boolean;
  services: string[];
}

export interface LocalMesh {
  replicas: Replica[];
  /** `namespace/name` → spec.replicas of every Deployment in the folder. */
  desired: Map<string, number>;
  /** Files the fs source would skip, with the reason. */
  problems: string[];
}

// The fs source's bounds (libs/kube: MAX_FILE_BYTES, MAX_MANIFEST_FILES). Not imported from there: @trellis/kube
// loads @kubernetes/client-node, which would be most of the CLI's start-up time.
const MAX_FILE_BYTES = 4 * 1024 * 1024;
const MAX_MANIFEST_FILES = 10_000;
const MAX_ALIASES = 100;
const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

// The local runner names its slices `<service>-<deployment>-local` and labels them managed-by local.trellis.io
// (tools/local/src/runner/endpoint-slices.ts).
const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
const MANAGED_BY_RUNNER = 'local.trellis.io';
const SLICE_SUFFIX = '-local';
const MANIFEST = /\.(ya?ml|json)$/i;

async function manifestFiles(dir: string): Promise<string[]> {
  let entries: string[];
  try {
    entries = await readdir(dir, { recursive: true });
  } catch (err) {
    throw new CliError('CLI_BAD_INPUT', `cannot read the manifest folder ${dir}: ${(err as Error).message}`, { cause: err });
  }
  return entries.filter((e) => MANIFEST.test(e) && !e.split(path.sep).some((s) => s.startsWith('.'))).sort().slice(0, MAX_MANIFEST_FILES);
}

function workloadOf(slice: EndpointSlice): string | undefined {
  const service = slice.metadata.labels?.[SERVICE_NAME_LABEL];
  const name = slice.metadata.name;
  if (!service || !name.startsWith(`${service}-`) || !name.endsWith(SLICE_SUFFIX)) return undefined;
  return `${slice.metadata.namespace ?? 'default'}/${name.slice(service.length + 1, -SLICE_SUFFIX.length)}`;
}

function parseObjects(text: string, file: string, problems: string[]): KubeObject[] {
  const out: KubeObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) {
      problems.push(`${file}: ${doc.errors[0]?.message ?? 'invalid YAML'}`);
      return [];
    }
    const value = doc.toJS({ maxAliasCount: MAX_ALIASES }) as Partial<KubeObject> | null;
    if (value && typeof value.kind === 'string' && value.metadata && typeof value.metadata.name === 'string') out.push(value as KubeObject);
  }
  return out;
}

/** The replicas and desired counts of a local mesh, read from its manifest folder (`npm start` prints it). */
export async function readLocalMesh(dir: string): Promise<LocalMesh> {
  const byPod = new Map<string, Replica>();
  const desired = new Map<string, number>();
  const problems: string[] = [];
  for (const file of await manifestFiles(dir)) {
    const full = path.join(dir, file);
    const size = (await stat(full)).size;
    if (size > MAX_FILE_BYTES) {
      problems.push(`${file}: larger than ${MAX_FILE_BYTES} bytes`);
      continue;
    }
    const objects = parseObjects(await readFile(full, 'utf8'), file, problems);
    for (const obj of objects) {
      const namespace = obj.metadata.namespace ?? 'default';
      if (obj.kind === 'Deployment') desired.set(`${namespace}/${obj.metadata.name}`, (obj as Deployment).spec?.replicas ?? 1);
      if (obj.kind !== 'EndpointSlice' || obj.metadata.labels?.[MANAGED_BY_LABEL] !== MANAGED_BY_RUNNER) continue;
      const slice = obj as EndpointSlice;
      const workload = workloadOf(slice);
      const service = `${namespace}/${slice.metadata.labels?.[SERVICE_NAME_LABEL] ?? ''}`;
      for (const e of slice.endpoints ?? []) {
        const pod = e.targetRef?.name;
        const address = e.addresses[0];
        if (!pod || !address || !workload) continue;
        const known = byPod.get(`${namespace}/${pod}`);
        if (known) known.services.push(service);
        else byPod.set(`${namespace}/${pod}`, { namespace, pod, workload, address, ready: e.conditions?.ready === true, services: [service] });
      }
    }
  }
  return { replicas: [...byPod.values()].sort((a, b) => a.pod.localeCompare(b.pod)), desired, problems };
}
