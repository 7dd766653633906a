import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePorts, waitFor } from '@trellis/testing';
import { chromium, type BrowserContext } from 'playwright-core';
import { ProxyAgent, request } from 'undici';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_LOAD } from './demo-load';
import { BUILT_FILES } from './local-mesh';

// The operator's surface on a fresh `npm start`: `trellis check` passes, `trellis stat` sees the Deployments, and
// the dashboard page the destination serves on its admin port (in headless Chromium) shows a Service whose rate
// changes when load runs. Own ports and
// loopback addresses, so it can run beside local-mesh.spec.ts.
const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', '..');
const PORTS = await freePorts(['outbound', 'destination', 'policy', 'destinationAdmin', 'autoscaler', 'metrics']);
const ADDRESSES = '127.73.0.2-127.73.0.60';
const START_TIMEOUT_MS = 60_000;
// Enough requests for the 2 s dashboard window to see a non-zero rate; bounded in count.
const LOAD_REQUESTS = 400;
const LOAD_CONCURRENCY = 4;
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

function descendants(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parentOf.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // the process exited while we looked
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [child, parent] of parentOf) {
      if (parent === p) {
        out.push(child);
        walk(child);
      }
    }
  };
  walk(pid);
  return out;
}

const TRELLIS_BIN = join(ROOT, 'apps/cli/bin/trellis.mjs');

/** `trellis ...` as a user runs it: its own process, stdout, stderr and exit code. */
function cli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [TRELLIS_BIN, ...argv], { cwd: ROOT, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** spec.replicas of a Deployment in the mesh's manifest folder (the autoscaler writes it there). */
function desiredReplicas(dir: string, file: string, name: string): number | undefined {
  for (const doc of parseAllDocuments(readFileSync(join(dir, file), 'utf8'))) {
    const obj = doc.toJS() as { kind?: string; metadata?: { name?: string }; spec?: { replicas?: number } } | null;
    if (obj?.kind === 'Deployment' && obj.metadata?.name === name) return obj.spec?.replicas;
  }
  return undefined;
}

describe('trellis CLI and dashboard on a fresh npm start', () => {
  let mesh: ChildProcess | undefined;
  let exited: Promise<unknown>;
  let output = '';
  let pids: number[] = [];
  let dir = '';
  let browser: BrowserContext | undefined;
  let profile = '';
  let dashboard: ChildProcess | undefined;
  const agent = new ProxyAgent({ uri: `http://127.0.0.1:${PORTS.outbound}`, proxyTunnel: false });

  beforeAll(async () => {
    const missing = Object.values(BUILT_FILES).filter((f) => !existsSync(join(ROOT, f)));
    if (missing.length > 0) throw new Error(`build first (npx nx run local:test does): missing ${missing.join(', ')}`);
    const argv = [
      join(ROOT, 'dist/tools/local/start.js'),
      ...['--outbound-port', String(PORTS.outbound), '--destination-port', String(PORTS.destination), '--policy-port', String(PORTS.policy)],
      ...['--destination-admin-port', String(PORTS.destinationAdmin), '--autoscaler-port', String(PORTS.autoscaler)],
      ...['--metrics-port', String(PORTS.metrics), '--addresses', ADDRESSES, '--status-interval', '0'],
    ];
    const child = spawn(process.execPath, argv, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    mesh = child;
    exited = new Promise((r) => child.once('exit', r));
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    await waitFor(() => output.includes('trellis: local mesh ready') || child.exitCode !== null, { what: 'mesh ready', timeoutMs: START_TIMEOUT_MS, intervalMs: 100 });
    if (!output.includes('trellis: local mesh ready')) throw new Error(`npm start failed:\n${output}`);
    pids = descendants(child.pid ?? 0);
    dir = /Manifests: (\S+)/.exec(output)?.[1] ?? '';
    profile = await mkdtemp(join(tmpdir(), 'trellis-chromium-'));
  }, START_TIMEOUT_MS + 10_000);

  afterAll(async () => {
    dashboard?.kill('SIGINT');
    await browser?.close();
    if (profile) await rm(profile, { recursive: true, force: true });
    await agent.close();
    if (mesh && mesh.exitCode === null) {
      mesh.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
    }
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }, 30_000);

  it('trellis check passes: destination gRPC and admin, autoscaler, every replica proxy ready', async () => {
    const r = await cli([
      'check',
      '--dir', dir,
      '--destination', `127.0.0.1:${PORTS.destination}`,
      '--destination-admin', `127.0.0.1:${PORTS.destinationAdmin}`,
      '--autoscaler', `127.0.0.1:${PORTS.autoscaler}`,
      '-o', 'json',
    ]);
    const result = JSON.parse(r.stdout) as { ok: boolean; checks: { name: string; ok: boolean; detail: string }[] };
    expect(result.checks.filter((c) => !c.ok)).toEqual([]);
    expect(r.code).toBe(0);
    expect(result.checks.find((c) => c.name === 'proxies ready')?.detail).toMatch(/^5\/5$/);
  });

  it('trellis stat lists every Deployment of the demo with its replicas', async () => {
    const r = await cli(['stat', '--dir', dir, '--metrics', `127.0.0.1:${PORTS.metrics}`, '--window', '1s', '-o', 'json']);
    expect(r.code).toBe(0);
    const rows = (JSON.parse(r.stdout) as { rows: { name: string; meshed: string }[] }).rows;
    expect(rows.map((x) => x.name)).toEqual(['demo/greeter', 'demo/hello-v1', 'demo/hello-v2']);
    expect(rows.find((x) => x.name === 'demo/hello-v1')?.meshed).toMatch(/^\d+\/\d+$/);
  });

  it("the control plane's dashboard (the banner's URL) shows the services, replicas and decisions, and demo/hello's rate changes when load runs", async () => {
    const url = /Dashboard: (\S+)/.exec(output)?.[1] ?? '';
    expect(url).toBe(`http://127.0.0.1:${PORTS.destinationAdmin}/dashboard/`);
    browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const page = await browser.newPage();
    await page.goto(url);
    const rps = page.locator('[data-service="demo/hello"] td.rps');
    await expect.poll(() => rps.textContent(), { timeout: 20_000 }).toBe('0.0');
    const hello = page.locator('[data-deployment="demo/hello-v1"] td');
    await expect.poll(() => hello.nth(1).textContent(), { timeout: 20_000 }).toMatch(/^[1-9]\d* \/ [1-9]\d*$/);
    await expect.poll(() => hello.nth(2).textContent(), { timeout: 20_000 }).toMatch(/^\d+/);
    // hello-v2 is both a Service and a Deployment: a node in each column of the topology.
    expect(await page.locator('[data-node="demo/hello-v2"]').count()).toBe(2);

    let sent = 0;
    const worker = async () => {
      while (sent < LOAD_REQUESTS) {
        sent += 1;
        const res = await request('http://hello.demo.svc.cluster.local/hello', { dispatcher: agent });
        await res.body.dump();
      }
    };
    const load = Promise.all(Array.from({ length: LOAD_CONCURRENCY }, worker));
    await expect.poll(() => rps.textContent(), { timeout: 30_000 }).not.toBe('0.0');
    await load;
    expect(await page.locator('[data-edge="client -> demo/hello"]').count()).toBe(1);
  }, 90_000);

  it('trellis dashboard still serves the same page from the CLI', async () => {
    const server = spawn(
      process.execPath,
      [TRELLIS_BIN, 'dashboard', '--dir', dir, '--metrics', `127.0.0.1:${PORTS.metrics}`, '--autoscaler', `127.0.0.1:${PORTS.autoscaler}`, '--port', '0', '--interval', '1s'],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    dashboard = server;
    let printed = '';
    server.stdout?.on('data', (d: Buffer) => (printed += d.toString()));
    const url = await waitFor(() => /trellis dashboard on (\S+)/.exec(printed)?.[1], { what: 'dashboard url', timeoutMs: 30_000, intervalMs: 100 });
    const state = await waitFor(async () => {
      const res = await fetch(new URL('api/state', url));
      return res.status === 200 ? ((await res.json()) as { deployments: { name: string }[] }) : undefined;
    }, { what: 'a reading', timeoutMs: 20_000, intervalMs: 200 });
    expect(state.deployments.map((d) => d.name)).toContain('demo/hello-v1');
  });

  it("the banner's load command makes the autoscaler add hello-v1 replicas", async () => {
    const load = spawn(
      process.execPath,
      [join(ROOT, 'dist/tools/local/load.js'), `http://hello.demo.svc.cluster.local${DEMO_LOAD.path}`, '--proxy', `http://127.0.0.1:${PORTS.outbound}`, '--rps', String(DEMO_LOAD.rps), '--duration', String(DEMO_LOAD.durationS)],
      { cwd: ROOT, stdio: 'ignore' },
    );
    const ended = new Promise((r) => load.once('exit', r));
    try {
      const desired = () => desiredReplicas(dir, 'hello.yaml', 'hello-v1') ?? 0;
      expect(desired()).toBe(2);
      await waitFor(() => desired() > 2, { what: 'hello-v1 scaled up', timeoutMs: DEMO_LOAD.durationS * 1000, intervalMs: 500 });
    } finally {
      load.kill('SIGINT');
      await ended;
    }
  }, DEMO_LOAD.durationS * 1000 + 10_000);
});
