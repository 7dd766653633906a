import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runReplay } from './replay-command';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const fixture = join(root, 'libs/kpa/src/fixtures/kpa-cases.json');
const script = join(root, 'apps/autoscaler/src/kpa-replay.ts');

function replay(...args: string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', script, ...args], { cwd: root, timeout: 60_000 }, (err, stdout) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      resolve({ code, stdout });
    });
  });
}

describe('kpa-replay command', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kpa-replay-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('passes every step of the conformance file', async () => {
    const { code, stdout } = await replay(fixture);
    const lines = stdout.trim().split('\n');
    const steps = lines.filter((l) => l.startsWith('PASS ') || l.startsWith('FAIL '));
    expect(code).toBe(0);
    expect(steps.length).toBeGreaterThanOrEqual(21);
    expect(steps.every((l) => l.startsWith('PASS '))).toBe(true);
    expect(lines.at(-1)).toMatch(/^ok: \d+ passed, 0 failed/);
  });

  it('fails with expected and actual values when a case is altered', async () => {
    const cases = JSON.parse(await readFile(fixture, 'utf8'));
    const step = cases.cases[0].steps[0];
    step.expect.desiredPodCount = 42;
    const altered = join(dir, 'altered.json');
    await writeFile(altered, JSON.stringify(cases));
    const { code, stdout } = await replay(altered);
    expect(code).toBe(1);
    const fail = stdout.split('\n').filter((l) => l.startsWith('FAIL '));
    expect(fail).toHaveLength(1);
    expect(fail[0]).toContain(`${cases.cases[0].id} step 0`);
    expect(fail[0]).toContain('desiredPodCount expected 42 got 0');
  });

});

describe('runReplay (the command in-process)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kpa-replay-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const run = async (...args: string[]) => {
    const lines: string[] = [];
    const code = await runReplay(args, (l) => lines.push(l));
    return { code, stdout: lines.join('\n') };
  };

  it('explains a missing file', async () => {
    const { code, stdout } = await run(join(dir, 'nope.json'));
    expect(code).toBe(2);
    expect(stdout).toContain('no such file');
  });

  it('explains a malformed file', async () => {
    const broken = join(dir, 'broken.json');
    await writeFile(broken, '{"cases": [{"id": "x", "spec": {}}]}');
    const { code, stdout } = await run(broken);
    expect(code).toBe(2);
    expect(stdout).toContain('$.cases[0].spec.scalingMetric');
    await writeFile(broken, '{not json');
    expect((await run(broken)).stdout).toContain('not valid JSON');
  });

  it('prints usage without a file', async () => {
    const { code, stdout } = await run();
    expect(code).toBe(2);
    expect(stdout).toContain('usage: kpa-replay <cases.json>');
  });
});
