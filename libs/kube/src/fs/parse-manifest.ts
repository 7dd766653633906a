import { parseAllDocuments } from 'yaml';
import type { EndpointAddress, Endpoints, KubeObject } from '../model';
import { API_VERSIONS, DEFAULT_NAMESPACE, RESOURCE_KINDS } from '../model';
import { endpointsToSlices } from './endpoints-to-slices';

// Bounds on one manifest file; beyond them the file is reported and skipped. 4 MiB is far above any
// hand-written manifest and keeps one file's parse well under a second; 1,000 documents likewise.
export const MAX_FILE_BYTES = 4 * 1024 * 1024;
export const MAX_DOCUMENTS_PER_FILE = 1000;

export type ManifestResult =
  | { ok: true; objects: KubeObject[]; skipped: { kind?: string; reason: string }[] }
  | { ok: false; reason: string };

const KNOWN_KINDS = new Set<string>([...RESOURCE_KINDS, 'Endpoints']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(index: number, total: number): string {
  return total > 1 ? `document ${index + 1}: ` : '';
}

/** Checks the fields every object needs; returns a reason when the document cannot be an object. */
function structuralProblem(doc: Record<string, unknown>): string | undefined {
  if (typeof doc.kind !== 'string' || doc.kind === '') return 'missing kind';
  if (!isRecord(doc.metadata)) return `${doc.kind}: missing metadata`;
  const { name, namespace } = doc.metadata;
  if (typeof name !== 'string' || name === '') return `${doc.kind}: missing metadata.name`;
  if (namespace !== undefined && (typeof namespace !== 'string' || namespace === '')) {
    return `${doc.kind} ${name}: metadata.namespace must be a non-empty string`;
  }
  if (doc.apiVersion !== undefined && typeof doc.apiVersion !== 'string') {
    return `${doc.kind} ${name}: apiVersion must be a string`;
  }
  return undefined;
}

function endpointsProblem(doc: Record<string, unknown>): string | undefined {
  if (doc.subsets === undefined || doc.subsets === null) return undefined;
  if (!Array.isArray(doc.subsets)) return 'subsets must be a list';
  for (const subset of doc.subsets) {
    if (!isRecord(subset)) return 'each subset must be a mapping';
    for (const field of ['addresses', 'notReadyAddresses'] as const) {
      const list = subset[field];
      if (list === undefined || list === null) continue;
      if (!Array.isArray(list)) return `subsets.${field} must be a list`;
      if (!list.every((a: unknown) => isRecord(a) && typeof (a as Partial<EndpointAddress>).ip === 'string')) {
        return `subsets.${field}[].ip must be a string`;
      }
    }
  }
  return undefined;
}

/** Fills what kubectl would: the namespace and the apiVersion of a known kind. */
function normalize(doc: Record<string, unknown>): KubeObject {
  const obj = doc as unknown as KubeObject;
  obj.metadata.namespace ??= DEFAULT_NAMESPACE;
  obj.apiVersion ??= API_VERSIONS[obj.kind as keyof typeof API_VERSIONS];
  return obj;
}

function flattenLists(values: unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const value of values) {
    if (isRecord(value) && value.kind === 'List' && Array.isArray(value.items)) out.push(...value.items);
    else out.push(value);
  }
  return out;
}

/**
 * Parses one manifest file (multi-document YAML, or JSON) into objects of the kinds Trellis reads.
 * The whole file fails (ok: false) on a syntax error, a bound exceeded, or a document that is not an
 * object; documents of unknown kinds are skipped and listed. v1 Endpoints come out as EndpointSlices.
 */
/** JSON.parse is an order of magnitude faster than the YAML parser; use it when the file is plain JSON. */
function parseJson(text: string): unknown[] | undefined {
  const first = text.trimStart()[0];
  if (first !== '{' && first !== '[') return undefined;
  try {
    return [JSON.parse(text)];
  } catch {
    return undefined;
  }
}

function parseYaml(text: string): { ok: true; values: unknown[] } | { ok: false; reason: string } {
  let documents;
  try {
    documents = parseAllDocuments(text, { prettyErrors: true });
  } catch (err) {
    return { ok: false, reason: `unparseable YAML: ${(err as Error).message}` };
  }
  if (!Array.isArray(documents)) return { ok: false, reason: 'not a YAML stream' };
  if (documents.length > MAX_DOCUMENTS_PER_FILE) {
    return { ok: false, reason: `more than ${MAX_DOCUMENTS_PER_FILE} documents` };
  }
  const values: unknown[] = [];
  for (const [index, document] of documents.entries()) {
    const error = document.errors[0];
    if (error) return { ok: false, reason: `${describe(index, documents.length)}YAML error: ${error.message}` };
    let value: unknown;
    try {
      value = document.toJS({ maxAliasCount: 100 });
    } catch (err) {
      return { ok: false, reason: `${describe(index, documents.length)}${(err as Error).message}` };
    }
    if (value === null || value === undefined) continue;
    values.push(value);
  }
  return { ok: true, values };
}

/**
 * Parses one manifest file (multi-document YAML, or JSON) into objects of the kinds Trellis reads.
 * The whole file fails (ok: false) on a syntax error, a bound exceeded, or a document that is not an
 * object; documents of unknown kinds are skipped and listed. v1 Endpoints come out as EndpointSlices.
 */
export function parseManifest(text: string): ManifestResult {
  if (Buffer.byteLength(text) > MAX_FILE_BYTES) return { ok: false, reason: `file larger than ${MAX_FILE_BYTES} bytes` };
  let values = parseJson(text);
  if (values === undefined) {
    const yaml = parseYaml(text);
    if (!yaml.ok) return yaml;
    values = yaml.values;
  }
  const items = flattenLists(values);
  if (items.length > MAX_DOCUMENTS_PER_FILE) return { ok: false, reason: `more than ${MAX_DOCUMENTS_PER_FILE} objects` };
  const objects: KubeObject[] = [];
  const skipped: { kind?: string; reason: string }[] = [];
  for (const [index, item] of items.entries()) {
    const where = describe(index, items.length);
    if (!isRecord(item)) return { ok: false, reason: `${where}not a mapping` };
    const problem = structuralProblem(item);
    if (problem) return { ok: false, reason: `${where}${problem}` };
    const kind = item.kind as string;
    const name = (item.metadata as { name: string }).name;
    if (!KNOWN_KINDS.has(kind)) {
      skipped.push({ kind, reason: `${where}unknown kind ${kind} (${name}) skipped` });
      continue;
    }
    if (kind === 'Endpoints') {
      const endpointsIssue = endpointsProblem(item);
      if (endpointsIssue) return { ok: false, reason: `${where}Endpoints ${name}: ${endpointsIssue}` };
      objects.push(...endpointsToSlices(normalize(item) as Endpoints));
      continue;
    }
    objects.push(normalize(item));
  }
  return { ok: true, objects, skipped };
}
