import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

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

export interface ManifestTree {
  /** Manifest paths relative to the root, '/'-separated, sorted. */
  files: string[];
  /** Folders walked, relative to the root ('' is the root itself), in the order they were read. */
  dirs: string[];
}

const joinRelative = (parent: string, name: string) => (parent === '' ? name : `${parent}/${name}`);

const vanished = (err: unknown) => ['ENOENT', 'ENOTDIR'].includes((err as NodeJS.ErrnoException).code ?? '');

/**
 * Walks the folders under root that are not hidden (symbolic links to folders are not followed).
 * `beforeRead` runs for each folder before it is listed, so a watcher armed there sees every file
 * the listing does not. The root being unreadable throws; a subfolder that vanished mid-walk is skipped.
 */
export async function listManifestTree(root: string, beforeRead?: (relativeDir: string) => Promise<void>): Promise<ManifestTree> {
  const files: string[] = [];
  const dirs: string[] = [];
  const pending = [''];
  for (let relativeDir = pending.shift(); relativeDir !== undefined; relativeDir = pending.shift()) {
    await beforeRead?.(relativeDir);
    let entries: Dirent[];
    try {
      entries = await readdir(join(root, relativeDir), { withFileTypes: true });
    } catch (err) {
      if (relativeDir === '' || !vanished(err)) throw err;
      continue;
    }
    dirs.push(relativeDir);
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const path = joinRelative(relativeDir, entry.name);
      if (entry.isDirectory()) pending.push(path);
      else if (isManifestPath(path)) files.push(path);
    }
  }
  return { files: files.sort(), dirs };
}

/** Manifest paths under dir (recursive), relative to dir, sorted so that results are deterministic. */
export async function listManifestFiles(dir: string): Promise<string[]> {
  return (await listManifestTree(dir)).files;
}
