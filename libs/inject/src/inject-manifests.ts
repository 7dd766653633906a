import { parseAllDocuments, stringify } from 'yaml';
import { InjectError } from './errors';
import { decide, injectTemplate, workloadName, type InjectOptions } from './inject-pod';
import type { Json, ObjectMeta, PodTemplate } from './pod';

/** What happened to one object of the input. */
export interface InjectReport {
  kind: string;
  name: string;
  injected: boolean;
  /** Why it was left as it was. */
  reason?: string;
}

export interface InjectedManifests {
  yaml: string;
  reports: InjectReport[];
}

/** Ours: the most documents one input may hold (the fs source's limit, libs/kube MAX_DOCUMENTS_PER_FILE). */
export const MAX_DOCUMENTS = 1000;
/** Ours: YAML aliases expanded per document (a bound against alias bombs). */
export const MAX_ALIASES = 100;

/** Where each kind keeps its pod template (Pods are their own template). */
const TEMPLATE_PATHS: Readonly<Record<string, readonly string[]>> = {
  Deployment: ['spec', 'template'],
  StatefulSet: ['spec', 'template'],
  DaemonSet: ['spec', 'template'],
  ReplicaSet: ['spec', 'template'],
  ReplicationController: ['spec', 'template'],
  Job: ['spec', 'template'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
};

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function templateOf(obj: Json, path: readonly string[]): PodTemplate | undefined {
  let at: unknown = obj;
  for (const key of path) at = isObject(at) ? at[key] : undefined;
  return isObject(at) && isObject(at['spec']) && Array.isArray(at['spec']['containers']) ? (at as unknown as PodTemplate) : undefined;
}

function withTemplate(obj: Json, path: readonly string[], template: PodTemplate): Json {
  if (path.length === 0) return { ...obj, ...template };
  const [head, ...rest] = path as [string, ...string[]];
  return { ...obj, [head]: withTemplate(obj[head] as Json, rest, template) };
}

/** One object (a workload, a Pod or a List of them) with the proxy added where it should be. */
export function injectObject(obj: unknown, options: InjectOptions, reports: InjectReport[]): unknown {
  if (!isObject(obj)) return obj;
  const kind = typeof obj['kind'] === 'string' ? obj['kind'] : '(no kind)';
  const meta = (isObject(obj['metadata']) ? obj['metadata'] : {}) as ObjectMeta;
  const name = meta.name ?? '(no name)';
  if (kind === 'List' && Array.isArray(obj['items'])) return { ...obj, items: obj['items'].map((i) => injectObject(i, options, reports)) };
  const path = kind === 'Pod' ? [] : TEMPLATE_PATHS[kind];
  if (path === undefined) return obj;
  const template = templateOf(obj, path);
  if (template === undefined) throw new InjectError('INJECT_BAD_OBJECT', `${kind}/${name}: no pod template with containers`);
  const decision = decide(template, options);
  if (!decision.inject) {
    reports.push({ kind, name, injected: false, reason: decision.reason });
    return obj;
  }
  const workload = kind === 'Pod' ? workloadName(meta, name) : name;
  reports.push({ kind, name, injected: true });
  return withTemplate(obj, path, injectTemplate(template, workload, options));
}

/** Multi-document YAML in, the same documents out with the proxy added (`trellis inject`). */
export function injectManifests(text: string, options: InjectOptions): InjectedManifests {
  const docs = parseAllDocuments(text);
  const list = Array.isArray(docs) ? docs : [docs];
  if (list.length > MAX_DOCUMENTS) throw new InjectError('INJECT_BAD_YAML', `more than ${MAX_DOCUMENTS} documents`);
  const reports: InjectReport[] = [];
  const out: string[] = [];
  for (const [i, doc] of list.entries()) {
    const error = doc.errors[0];
    if (error) throw new InjectError('INJECT_BAD_YAML', `document ${i + 1}: ${error.message}`, { cause: error });
    const value: unknown = doc.toJS({ maxAliasCount: MAX_ALIASES });
    if (value === null || value === undefined) continue;
    out.push(stringify(injectObject(value, options, reports), { lineWidth: 0 }));
  }
  return { yaml: out.join('---\n'), reports };
}
