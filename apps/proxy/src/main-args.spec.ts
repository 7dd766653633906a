import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const main = path.join(path.dirname(fileURLToPath(import.meta.url)), 'main.ts');
const run = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', main, ...args], { encoding: 'utf8', timeout: 20_000 });

describe('proxy command line', () => {
  it('prints its help for --help, and refuses any other argument with one line and exit 2 before starting', () => {
    const help = run('--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^trellis proxy: the data plane beside every workload\./);
    const bad = run('--port', '8080');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe('trellis proxy: unexpected argument --port (the proxy is configured by environment; see --help)\n');
  });
});
