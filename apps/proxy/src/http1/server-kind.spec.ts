import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../config/errors';
import { http1ServerKind } from './server-kind';

const main = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'main.ts');

describe('TRELLIS_HTTP1_SERVER', () => {
  it('selects the proxy server by default and Node with node', () => {
    expect(http1ServerKind({})).toBe('trellis');
    expect(http1ServerKind({ TRELLIS_HTTP1_SERVER: 'trellis' })).toBe('trellis');
    expect(http1ServerKind({ TRELLIS_HTTP1_SERVER: 'node' })).toBe('node');
    expect(() => http1ServerKind({ TRELLIS_HTTP1_SERVER: 'Node' })).toThrow(ConfigError);
  });

  it('stops the proxy at start with exit 2 and one line naming the variable when the value is unknown', () => {
    const env = { ...process.env, TRELLIS_HTTP1_SERVER: 'fast' };
    const run = spawnSync(process.execPath, ['--import', 'tsx', main], { encoding: 'utf8', timeout: 20_000, env });
    expect(run.status).toBe(2);
    expect(run.stderr).toBe('trellis proxy: invalid configuration: TRELLIS_HTTP1_SERVER: expected trellis or node, got "fast"\n');
  });
});
