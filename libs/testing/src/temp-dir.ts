import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export interface TempDir {
  readonly path: string;
  /** Writes `text` to a path relative to the directory, creating parent folders. Returns the full path. */
  write(relativePath: string, text: string): Promise<string>;
  /** Removes the directory and everything in it; idempotent. */
  remove(): Promise<void>;
}

/** A fresh directory under the OS temp folder, for one test. */
export async function createTempDir(prefix = 'trellis-test-'): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  let removed = false;
  return {
    path,
    write: async (relativePath, text) => {
      const full = join(path, relativePath);
      await mkdir(dirname(full), { recursive: true });
      await writeFile(full, text);
      return full;
    },
    remove: async () => {
      if (removed) return;
      removed = true;
      await rm(path, { recursive: true, force: true });
    },
  };
}
