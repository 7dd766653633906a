import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const main = path.join(path.dirname(fileURLToPath(import.meta.url)), 'demo-app.ts');
const run = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', main, ...args], { encoding: 'utf8', timeout: 20_000, env: { ...process.env, PORT: '0' } });

describe('demo-app command line', () => {
  it('prints its usage for --help, and refuses any other argument with one line and exit 2 (it never starts serving)', () => {
    const help = run('--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^usage: node dist\/tools\/local\/demo-app\.js/);
    const bad = run('--port', '80');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe('demo-app: unexpected argument --port (it is configured by environment; see demo-app --help)\n');
    expect(bad.stdout).toBe('');
  });
});
