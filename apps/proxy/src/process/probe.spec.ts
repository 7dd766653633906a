import { spawn } from 'node:child_process';
import { utimes, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import { createTempDir, type TempDir } from '@trellis/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../inbound/testing/test-app';
import { buildProxy, PROXY_BUNDLE, proxyEnv, spawnProxy, type ProxyProcess } from './testing/proxy-process';

interface Run {
  status: number | null;
  stderr: string;
}

/** Runs the proxy program as an exec probe (what the kubelet does), with only the given environment. */
function probe(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [PROXY_BUNDLE, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('exit', (status) => resolve({ status, stderr }));
  });
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('exec probes (the proxy program run by the kubelet)', () => {
  let app: TestApp;
  let proxy: ProxyProcess | undefined;
  let dir: TempDir;

  beforeAll(async () => {
    await buildProxy();
    app = await startTestApp();
    dir = await createTempDir('trellis-probe-');
  }, 60_000);

  afterAll(async () => {
    await proxy?.kill();
    await app?.close();
    await dir?.remove();
  });

  it('--probe-period keeps probing the admin /ready until the proxy is ready: exit 0', async () => {
    const admin = await freePort();
    const env = { TRELLIS_INBOUND_HOST: '127.0.0.1', TRELLIS_ADMIN_PORT: String(admin) };
    // Started before the proxy: the first attempts find nothing listening.
    const running = probe(['--probe-period', '30s'], env);
    proxy = await spawnProxy(proxyEnv(app.port, { TRELLIS_ADMIN_PORT: String(admin) }));
    expect(await running).toEqual({ status: 0, stderr: '' });
    // Knative's single-dash spelling.
    expect(await probe(['-probe-period', '5s'], env)).toEqual({ status: 0, stderr: '' });
  }, 60_000);

  it('exits 1 with the last reason once the period ends: app not ready, or nothing listening', async () => {
    const admin = String(proxy?.ports.admin);
    await app.close();
    // The admin /ready retries the app's probe for a while (Knative's prober) before it answers 503.
    const notReady = await probe(['-probe-period', '300ms'], { TRELLIS_INBOUND_HOST: '127.0.0.1', TRELLIS_ADMIN_PORT: admin });
    expect(notReady.status).toBe(1);
    expect(notReady.stderr).toMatch(/^trellis proxy: probe failed: \/ready did not answer within \d+ ms\n$/);
    const nobody = await probe(['--probe-period', '200ms'], { TRELLIS_ADMIN_PORT: String(await freePort()) });
    expect(nobody.status).toBe(1);
    expect(nobody.stderr).toMatch(/^trellis proxy: probe failed: cannot reach 127\.0\.0\.1:\d+: connect ECONNREFUSED/);
    app = await startTestApp();
  }, 30_000);

  it('--probe-file passes while the file is fresh, fails once it is older than --max-age or missing', async () => {
    const file = join(dir.path, 'alive');
    await writeFile(file, '');
    expect(await probe(['--probe-file', file, '--max-age', '30s'])).toEqual({ status: 0, stderr: '' });
    const tenMinutesAgo = new Date(Date.now() - 600_000);
    await utimes(file, tenMinutesAgo, tenMinutesAgo);
    const stale = await probe(['--probe-file', file, '--max-age', '1m']);
    expect(stale.status).toBe(1);
    expect(stale.stderr).toMatch(/^trellis proxy: probe failed: .*alive was last modified 60\d\.\d s ago \(max age 60 s\)\n$/);
    const missing = await probe(['--probe-file', join(dir.path, 'nope')]);
    expect(missing).toEqual({ status: 1, stderr: `trellis proxy: probe failed: cannot stat ${join(dir.path, 'nope')}: ENOENT\n` });
  }, 30_000);

  it('answers a bad probe flag with one line and exit 2, before probing anything', async () => {
    expect(await probe(['--probe-period', 'soon'])).toEqual({ status: 2, stderr: 'trellis proxy: --probe-period: "soon" is not a duration (e.g. 10s, 500ms, 1m)\n' });
    expect(await probe(['--probe-period', '1s'], { TRELLIS_ADMIN_PORT: 'eighty' })).toEqual({
      status: 2,
      stderr: 'trellis proxy: invalid configuration: TRELLIS_ADMIN_PORT: "eighty" is not a port number (0-65535)\n',
    });
  }, 30_000);
});
