import { KubeError } from './errors';

export type SourceSpec = { kind: 'kubernetes' } | { kind: 'fs'; dir: string };

/** Parses `kubernetes` or `fs:<dir>`; anything else is a KubeError saying what is expected. */
export function parseSourceSpec(spec: string): SourceSpec {
  const trimmed = spec.trim();
  if (trimmed === 'kubernetes') return { kind: 'kubernetes' };
  if (trimmed.startsWith('fs:')) {
    const dir = trimmed.slice('fs:'.length);
    if (dir === '') throw new KubeError('KUBE_BAD_SOURCE_SPEC', 'source "fs:" needs a directory, e.g. fs:./manifests');
    return { kind: 'fs', dir };
  }
  throw new KubeError(
    'KUBE_BAD_SOURCE_SPEC',
    `unknown source ${JSON.stringify(spec)}: expected "kubernetes" or "fs:<dir>" (e.g. fs:./manifests)`,
  );
}
