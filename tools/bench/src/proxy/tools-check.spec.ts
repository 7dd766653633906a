import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findExecutable, installHint } from './tools-check';

describe('installHint', () => {
  it('names the Debian package of each missing tool once', () => {
    expect(installHint(['h2load', 'wrk', 'nginx'])).toBe('sudo apt-get install -y nghttp2-client wrk nginx');
  });

  it('is undefined when nothing is missing', () => {
    expect(installHint([])).toBeUndefined();
  });
});

describe('findExecutable', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'proxy-bench-tools-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds an executable file on the search path and ignores a non-executable one', () => {
    writeFileSync(path.join(dir, 'runnable'), '#!/bin/sh\n');
    chmodSync(path.join(dir, 'runnable'), 0o755);
    writeFileSync(path.join(dir, 'plain'), 'text');
    chmodSync(path.join(dir, 'plain'), 0o644);
    expect(findExecutable('runnable', dir)).toBe(path.join(dir, 'runnable'));
    expect(findExecutable('plain', dir)).toBeUndefined();
    expect(findExecutable('no-such-tool-anywhere', dir)).toBeUndefined();
  });
});
