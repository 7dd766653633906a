import { spawn, spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFakeDestination } from '@trellis/discovery/testing';
import { waitFor } from '@trellis/testing';
import { describe, expect, it } from 'vitest';

const main = path.join(path.dirname(fileURLToPath(import.meta.url)), 'demo-app.ts');
const run = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', main, ...args], { encoding: 'utf8', timeout: 20_000, env: { ...process.env, PORT: '0' } });

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

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

  it('with DEMO_UPSTREAM, /call reaches the mesh service through @trellis/client (resolved by the destination service)', async () => {
    const destination = await startFakeDestination();
    const upstream: Server = createServer((_req, res) => res.end('{"message":"hello","replica":"hello-1"}'));
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
    destination.setEndpoints('hello.demo.svc.cluster.local:80', [{ host: '127.0.0.1', port: (upstream.address() as net.AddressInfo).port }]);
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', main], {
      env: { ...process.env, PORT: String(port), DEMO_UPSTREAM: 'http://hello.demo.svc.cluster.local/hello', TRELLIS_DESTINATION_ADDR: `127.0.0.1:${destination.port}` },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise((r) => child.once('exit', r));
    try {
      await waitFor(() => out.includes('serving http'), { timeoutMs: 20_000, what: 'demo-app to listen' });
      const res = await fetch(`http://127.0.0.1:${port}/call`);
      expect(await res.json()).toMatchObject({ via: 'trellis-client', upstream: { status: 200, body: { message: 'hello', replica: 'hello-1' } } });
    } finally {
      child.kill('SIGTERM');
      await exited;
      upstream.closeAllConnections();
      upstream.close();
      await destination.close();
    }
  }, 40_000);
});
