import { readdir } from 'node:fs/promises';
import { sep } from 'node:path';

// Upper bound on manifest files one folder may hold; beyond it the rest are reported and ignored.
// Chosen well above any local demo (tens of files) while bounding one rescan's work.
export const MAX_MANIFEST_FILES = 10_000;

const MANIFEST_EXTENSION = /\.(ya?ml|json)$/i;

/** True when a segment of the path starts with a dot (editor swap files, our temp files, .git). */
export function isHiddenPath(relativePath: string): boolean {
  return relativePath.split(/[\\/]/).some((segment) => segment.startsWith('.'));
}

/** True for paths the source reads: manifest extensions, no hidden segment. */
export function isManifestPath(relativePath: string): boolean {
  return MANIFEST_EXTENSION.test(relativePath) && !isHiddenPath(relativePath);
}

/** Manifest paths under dir (recursive), relative to dir, sorted so that results are deterministic. */
export async function listManifestFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true });
  return entries
    .map((entry) => entry.split(sep).join('/'))
    .filter(isManifestPath)
    .sort();
}
