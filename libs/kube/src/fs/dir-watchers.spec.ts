import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TempDir } from '@trellis/testing';
import { createTempDir, waitFor } from '@trellis/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DirWatchers } from './dir-watchers';
import { createDirWatchers } from './dir-watchers';

describe('dir watchers', () => {
  let dir: TempDir;
  let watchers: DirWatchers | undefined;
  let changed: (string | undefined)[];
  let warnings: object[];

  const create = (maxDirs?: number) => {
    const logger = { debug: () => undefined, info: () => undefined, warn: (obj: object) => void warnings.push(obj) };
    watchers = createDirWatchers(dir.path, (path) => changed.push(path), { logger, ...(maxDirs === undefined ? {} : { maxDirs }) });
    return watchers;
  };

  const replaceByRename = async (relativePath: string, text: string) => {
    await writeFile(join(dir.path, `${relativePath}.tmp`), text);
    await rename(join(dir.path, `${relativePath}.tmp`), join(dir.path, relativePath));
  };

  beforeEach(async () => {
    dir = await createTempDir('trellis-dir-watchers-');
    changed = [];
    warnings = [];
  });

  afterEach(async () => {
    watchers?.close();
    watchers = undefined;
    await dir.remove();
  });

  it('reports a file replaced by rename every time, with its path relative to the root', async () => {
    await dir.write('sub/a.yaml', 'v0');
    const w = create();
    await w.arm('');
    await w.arm('sub');
    for (let version = 1; version <= 3; version++) {
      changed.length = 0;
      await replaceByRename('sub/a.yaml', `v${version}`);
      await waitFor(() => changed.includes('sub/a.yaml'), { what: `rename ${version} reported` });
    }
    await replaceByRename('b.yaml', 'v1');
    await waitFor(() => changed.includes('b.yaml'), { what: 'rename in the root reported' });
  });

  it('arms a folder once, re-arms it when it was made again, and drops folders that are gone', async () => {
    await mkdir(join(dir.path, 'sub'));
    const w = create();
    await w.arm('sub');
    await w.arm('sub');
    expect(w.size()).toBe(1);

    await rm(join(dir.path, 'sub'), { recursive: true });
    await mkdir(join(dir.path, 'sub'));
    await w.arm('sub');
    changed.length = 0;
    await writeFile(join(dir.path, 'sub', 'a.yaml'), 'v1');
    await waitFor(() => changed.includes('sub/a.yaml'), { what: 'change in the folder made again' });

    w.keepOnly(new Set(['']));
    expect(w.has('sub')).toBe(false);
    await w.arm('missing');
    expect(w.size()).toBe(0);
  });

  it('watches at most maxDirs folders and says so once', async () => {
    for (const name of ['a', 'b', 'c', 'd']) await mkdir(join(dir.path, name));
    const w = create(2);
    for (const name of ['a', 'b', 'c', 'd']) await w.arm(name);
    expect([w.has('a'), w.has('b'), w.has('c'), w.has('d')]).toEqual([true, true, false, false]);
    expect(warnings).toEqual([expect.objectContaining({ maxDirs: 2 })]);
  });

  it('close is idempotent and stops arming', async () => {
    const w = create();
    await w.arm('');
    w.close();
    w.close();
    expect(w.size()).toBe(0);
    await w.arm('');
    expect(w.size()).toBe(0);
  });
});
