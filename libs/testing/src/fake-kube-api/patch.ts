type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isObject(value: unknown): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** RFC 7386 JSON merge patch (also used for strategic merge, which only differs on lists). */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const result: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

export class PatchError extends Error {
  readonly code = 'FAKE_KUBE_BAD_PATCH';
}

function unescape(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

function parentOf(doc: unknown, path: string): { parent: Record<string, unknown> | unknown[]; key: string } {
  if (!path.startsWith('/')) throw new PatchError(`bad JSON pointer ${path}`);
  const tokens = path.slice(1).split('/').map(unescape);
  const key = tokens.pop() ?? '';
  let node: unknown = doc;
  for (const token of tokens) {
    node = Array.isArray(node) ? node[Number(token)] : isObject(node) ? node[token] : undefined;
    if (node === undefined) throw new PatchError(`path ${path} does not exist`);
  }
  if (!isObject(node) && !Array.isArray(node)) throw new PatchError(`path ${path} has no container`);
  return { parent: node, key };
}

/** RFC 6902 JSON patch: add, remove, replace and test (what Kubernetes clients send for scale). */
export function jsonPatch(target: unknown, operations: unknown): unknown {
  if (!Array.isArray(operations)) throw new PatchError('a JSON patch must be a list of operations');
  const doc = structuredClone(target);
  for (const op of operations) {
    if (!isObject(op) || typeof op.op !== 'string' || typeof op.path !== 'string') throw new PatchError('bad operation');
    const { parent, key } = parentOf(doc, op.path);
    const index = key === '-' ? -1 : Number(key);
    switch (op.op) {
      case 'add':
      case 'replace':
        if (Array.isArray(parent)) {
          if (op.op === 'add') parent.splice(index < 0 ? parent.length : index, 0, op.value);
          else parent[index] = op.value;
        } else {
          if (op.op === 'replace' && !(key in parent)) throw new PatchError(`path ${op.path} does not exist`);
          parent[key] = op.value;
        }
        break;
      case 'remove':
        if (Array.isArray(parent)) parent.splice(index, 1);
        else if (key in parent) delete parent[key];
        else throw new PatchError(`path ${op.path} does not exist`);
        break;
      case 'test': {
        const actual = Array.isArray(parent) ? parent[index] : parent[key];
        if (JSON.stringify(actual) !== JSON.stringify(op.value)) throw new PatchError(`test failed at ${op.path}`);
        break;
      }
      default:
        throw new PatchError(`unsupported op ${op.op}`);
    }
  }
  return doc;
}
