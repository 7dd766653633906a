import type { FSWatcher } from 'node:fs';
import { watch } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { SourceLogger } from '../source';

// Upper bound on folders watched at once (one FSWatcher and one inotify watch each). Folders beyond
// it are still read by the periodic rescan. Ours: far above a local demo's handful of folders and well
// under Linux's default fs.inotify.max_user_watches (8,192 on older kernels).
export const MAX_WATCHED_DIRS = 1000;

export interface DirWatchersOptions {
  logger?: SourceLogger;
  maxDirs?: number;
}

/**
 * One non-recursive fs.watch per folder. Node 20's recursive fs.watch on Linux loses a file for good
 * once it has been replaced by rename (write a temp file, rename it over the target: how editors save
 * and how FsStore writes); a watch on the folder itself reports every name that changes in it.
 *
 * A folder removed (or moved away) and made again under the same name is a new directory that the
 * old watch never reports, so `arm` replaces a watcher when the folder's identity (device, inode and
 * birth time: inode numbers are reused at once) differs from the one it was armed on, or when the
 * watcher reported its own folder's name (inotify's delete-self or move-self, for filesystems
 * without birth times).
 */
export interface DirWatchers {
  /**
   * Makes sure `relativeDir` ('' is the root) is watched by a watcher on the folder there now.
   * Call it before listing the folder: a change after the listing then fires the watcher.
   */
  arm(relativeDir: string): Promise<void>;
  /** Closes the watchers of folders not in `dirs` (gone since they were armed). */
  keepOnly(dirs: ReadonlySet<string>): void;
  has(relativeDir: string): boolean;
  size(): number;
  /** Idempotent; `arm` does nothing afterwards. */
  close(): void;
}

interface Armed {
  identity: string;
  watcher: FSWatcher;
  stale: boolean;
}

/** `onChange` gets the changed path relative to the root, or undefined when the platform gave no name. */
export function createDirWatchers(root: string, onChange: (relativePath: string | undefined) => void, options: DirWatchersOptions = {}): DirWatchers {
  const log = options.logger;
  const maxDirs = options.maxDirs ?? MAX_WATCHED_DIRS;
  const armed = new Map<string, Armed>();
  let limitLogged = false;
  let closed = false;

  const drop = (relativeDir: string) => {
    armed.get(relativeDir)?.watcher.close();
    armed.delete(relativeDir);
  };

  const open = (relativeDir: string, identity: string) => {
    const path = join(root, relativeDir);
    const ownName = basename(path);
    try {
      const watcher = watch(path, { persistent: false }, (_event, name) => {
        const entry = armed.get(relativeDir);
        if (name === ownName && entry?.watcher === watcher) entry.stale = true;
        onChange(name === null ? undefined : relativeDir === '' ? name : `${relativeDir}/${name}`);
      });
      // The periodic rescan arms the folder again if it is still there.
      watcher.on('error', (err) => {
        log?.debug({ dir: path, err: err.message }, 'fs watch failed; rescans continue');
        if (armed.get(relativeDir)?.watcher === watcher) drop(relativeDir);
      });
      armed.set(relativeDir, { identity, watcher, stale: false });
    } catch (err) {
      log?.debug({ dir: path, err: (err as Error).message }, 'fs watch unavailable; rescans continue');
    }
  };

  return {
    arm: async (relativeDir) => {
      let identity: string;
      try {
        const info = await stat(join(root, relativeDir), { bigint: true });
        identity = `${info.dev}:${info.ino}:${info.birthtimeNs}`;
      } catch {
        identity = '';
      }
      if (closed) return;
      const current = armed.get(relativeDir);
      if (current && current.identity === identity && !current.stale) return;
      if (current) drop(relativeDir);
      if (identity === '') return;
      if (armed.size >= maxDirs) {
        if (!limitLogged) log?.warn({ dir: root, maxDirs }, 'fs source watches its first folders only; the periodic rescan covers the rest');
        limitLogged = true;
        return;
      }
      open(relativeDir, identity);
    },
    keepOnly: (dirs) => {
      for (const relativeDir of [...armed.keys()]) if (!dirs.has(relativeDir)) drop(relativeDir);
    },
    has: (relativeDir) => armed.has(relativeDir),
    size: () => armed.size,
    close: () => {
      if (closed) return;
      closed = true;
      for (const relativeDir of [...armed.keys()]) drop(relativeDir);
    },
  };
}
