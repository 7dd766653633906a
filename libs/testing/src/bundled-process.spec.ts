import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BundledProcessError, processAlive, spawnBundled, type BundledProcess } from './bundled-process';
import { createTempDir, type TempDir } from './temp-dir';
import { waitFor } from './wait-for';

// A stand-in for a bundled service: its first argument says how it behaves.
const SERVICE = `
const mode = process.argv[2];
const log = (fields) => process.stdout.write(JSON.stringify({ level: 30, ...fields }) + '\\n');
if (mode === 'crash') {
  process.stderr.write('boom\\n');
  process.exit(3);
}
log({ msg: 'starting', pid: process.pid });
if (mode === 'split') {
  const line = JSON.stringify({ level: 30, msg: 'listening', grpcPort: 4321 }) + '\\n';
  process.stdout.write(line.slice(0, 20));
  setTimeout(() => process.stdout.write(line.slice(20)), 200);
} else if (mode === 'ready') {
  log({ msg: 'listening', grpcPort: 1234 });
}
setInterval(() => {}, 1000);
`;

// A test process that spawns the service, prints the child's pid and exits without killing it.
const FORGETFUL_TEST = `
import { spawnBundled } from ${JSON.stringify(fileURLToPath(new URL('./bundled-process.ts', import.meta.url)))};
const service = await spawnBundled({ name: 'test service', bundle: process.argv[2], buildWith: 'x', args: ['ready'], readyMessage: 'listening', startTimeoutMs: 20_000 });
process.stdout.write(String(service.child.pid));
process.exit(0);
`;

interface Ports {
  grpcPort: number;
}

describe('spawnBundled', () => {
  let dir: TempDir;
  let bundle: string;
  let service: BundledProcess<Ports> | undefined;

  beforeEach(async () => {
    dir = await createTempDir();
    bundle = await dir.write('service.mjs', SERVICE);
  });

  afterEach(async () => {
    await service?.kill();
    service = undefined;
    await dir.remove();
  });

  const spawnService = (mode: string, startTimeoutMs = 20_000, file = bundle) =>
    spawnBundled<Ports>({ name: 'test service', bundle: file, buildWith: 'buildTestService()', args: [mode], readyMessage: 'listening', startTimeoutMs });

  it('resolves with the ready line once the service logs it, and kill() ends it, idempotently', async () => {
    service = await spawnService('ready');
    expect(service.ready.grpcPort).toBe(1234);
    expect(service.child.exitCode).toBeNull();
    await Promise.all([service.kill(), service.kill()]);
    await service.kill();
    expect(service.child.signalCode).toBe('SIGKILL');
  });

  it('waits for the whole ready line when it comes in pieces', async () => {
    service = await spawnService('split');
    expect(service.ready.grpcPort).toBe(4321);
  });

  it('names the build step when the bundle is missing', async () => {
    const missing = join(dir.path, 'never-built.mjs');
    const err = await spawnService('ready', 20_000, missing).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BundledProcessError);
    expect(err).toMatchObject({ code: 'BUNDLE_MISSING' });
    expect((err as Error).message).toContain(missing);
    expect((err as Error).message).toContain('buildTestService()');
  });

  it('rejects with the exit code and output when the service exits before it is ready', async () => {
    const err = await spawnService('crash').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'START_FAILED' });
    expect((err as Error).message).toMatch(/test service did not start \(exit 3\): boom/);
  });

  it('kills a service that never logs its ready line within the start timeout', async () => {
    const err = await spawnService('silent', 300).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'START_FAILED' });
    const pid = Number(/"pid":(\d+)/.exec((err as Error).message)?.[1]);
    expect(processAlive(pid)).toBe(false);
  });

  it('kills the service when the test process exits without killing it', async () => {
    const script = await dir.write('forgetful.mts', FORGETFUL_TEST);
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script, bundle], { cwd: fileURLToPath(new URL('..', import.meta.url)) });
    const pid = Number(stdout);
    expect(pid).toBeGreaterThan(0);
    await waitFor(() => !processAlive(pid), { what: 'the orphaned service to be killed' });
  });
});
