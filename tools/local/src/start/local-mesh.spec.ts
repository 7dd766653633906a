import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { credentials } from '@grpc/grpc-js';
import { freePorts, processAlive, waitFor } from '@trellis/testing';
import { ProxyAgent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GreeterClient } from '../demo/greeter-grpc';
import type { HelloReply } from '../demo/greeter-grpc';
import { BUILT_FILES } from './local-mesh';

// The `npm start` smoke test: the built mesh (dist/, made by `nx run local:test`'s dependencies) on ports and
// loopback addresses of its own, driven like a user would, then stopped with no process left behind.
const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', '..');
const PORTS = await freePorts(['outbound', 'destination', 'policy', 'destinationAdmin', 'autoscaler', 'metrics']);
const ADDRESSES = '127.72.0.2-127.72.0.60';
const START_TIMEOUT_MS = 60_000;
const HTTP_REQUESTS = 300;
const HTTP_CONCURRENCY = 10;
// 90/10 split over 300 requests: 30 expected for v2, standard deviation ≈ 5.2; the bounds are > 3 deviations away.
const V2_SHARE_MIN = 0.04;
const V2_SHARE_MAX = 0.18;
// Without retries 30 % of /fail?rate=0.3 fail: 70 of 100 succeed (deviation ≈ 4.6), so 85 is beyond chance;
// one retry alone makes it 91 on average.
const RETRY_REQUESTS = 100;
const RETRY_MIN_OK = 85;

/** Every descendant of pid, from /proc (Linux). */
function descendants(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parentOf.set(Number(entry), ppid);
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

describe('npm start (the local mesh, end to end)', () => {
  let mesh: ChildProcess | undefined;
  let output = '';
  let exited: Promise<number | null>;
  let pids: number[] = [];
  const agent = new ProxyAgent({ uri: `http://127.0.0.1:${PORTS.outbound}`, proxyTunnel: false });

  beforeAll(async () => {
    const missing = Object.values(BUILT_FILES).filter((f) => !existsSync(join(ROOT, f)));
    if (missing.length > 0) throw new Error(`build first (npx nx run local:test does): missing ${missing.join(', ')}`);
    const argv = [
      join(ROOT, 'dist/tools/local/start.js'),
      '--outbound-port', String(PORTS.outbound),
      '--destination-port', String(PORTS.destination), '--policy-port', String(PORTS.policy),
      '--destination-admin-port', String(PORTS.destinationAdmin),
      '--autoscaler-port', String(PORTS.autoscaler),
      '--metrics-port', String(PORTS.metrics),
      '--addresses', ADDRESSES,
      '--status-interval', '1',
    ];
    const child = spawn(process.execPath, argv, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    mesh = child;
    exited = new Promise((r) => child.once('exit', (code) => r(code)));
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    await waitFor(() => output.includes('trellis: local mesh ready') || child.exitCode !== null, { what: 'mesh ready', timeoutMs: START_TIMEOUT_MS, intervalMs: 100 });
    if (!output.includes('trellis: local mesh ready')) throw new Error(`npm start failed:\n${output}`);
    pids = descendants(child.pid ?? 0);
  }, START_TIMEOUT_MS + 10_000);

  afterAll(async () => {
    await agent.close();
    if (mesh && mesh.exitCode === null) {
      mesh.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
    }
    // A failed run must not leak: whatever is still alive is ended here (only processes this test started).
    for (const pid of pids.filter(processAlive)) process.kill(pid, 'SIGKILL');
  }, 30_000);

  it('prints what to try', () => {
    expect(output).toContain(`curl -x http://127.0.0.1:${PORTS.outbound} http://hello.demo.svc.cluster.local/hello`);
    expect(output).toContain(`npm run load -- 'http://hello.demo.svc.cluster.local/slow?ms=300' --proxy http://127.0.0.1:${PORTS.outbound} --rps 80`);
    expect(output).toContain('the autoscaler adds replicas');
    expect(output).toMatch(/to scale by hand: start with --no-autoscaler/);
    // app + proxy for 5 replicas, and the destination, the autoscaler and the outbound proxy
    expect(pids.length).toBeGreaterThanOrEqual(13);
  });

  it('serves HTTP through 127.0.0.1:<outbound> across replicas and honours the 90/10 split', async () => {
    const replies: { replica: string; version: string; caller?: string }[] = [];
    const statuses: number[] = [];
    let next = 0;
    const worker = async () => {
      while (next < HTTP_REQUESTS) {
        next += 1;
        const res = await request('http://hello.demo.svc.cluster.local/hello', { dispatcher: agent });
        statuses.push(res.statusCode);
        if (res.statusCode === 200) replies.push((await res.body.json()) as { replica: string; version: string; caller?: string });
        else await res.body.dump();
      }
    };
    await Promise.all(Array.from({ length: HTTP_CONCURRENCY }, worker));
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    // Every hop between proxies is mTLS: the replicas' proxies proved the outbound proxy's identity to the app.
    expect(new Set(replies.map((r) => r.caller))).toEqual(new Set(['default.default.serviceaccount.identity.cluster.local']));
    const v1 = new Set(replies.filter((r) => r.version === 'v1').map((r) => r.replica));
    expect(v1).toEqual(new Set(['hello-v1-0', 'hello-v1-1']));
    const v2Share = replies.filter((r) => r.version === 'v2').length / replies.length;
    expect(v2Share).toBeGreaterThanOrEqual(V2_SHARE_MIN);
    expect(v2Share).toBeLessThanOrEqual(V2_SHARE_MAX);
  });

  it('retries the retryable route: /fail?rate=0.3 mostly succeeds through the proxy', async () => {
    let ok = 0;
    for (let i = 0; i < RETRY_REQUESTS; i++) {
      const res = await request('http://hello.demo.svc.cluster.local/fail?rate=0.3', { dispatcher: agent });
      await res.body.dump();
      if (res.statusCode === 200) ok += 1;
    }
    expect(ok).toBeGreaterThanOrEqual(RETRY_MIN_OK);
  });

  it('serves gRPC through the outbound proxy across replicas', async () => {
    const client = new GreeterClient(`127.0.0.1:${PORTS.outbound}`, credentials.createInsecure(), {
      'grpc.default_authority': 'greeter.demo.svc.cluster.local',
    });
    try {
      const call = (name: string) =>
        new Promise<HelloReply>((resolve, reject) => {
          (client as unknown as { SayHello: (req: unknown, cb: (err: Error | null, reply: HelloReply) => void) => void }).SayHello(
            { name },
            (err, reply) => (err ? reject(err) : resolve(reply)),
          );
        });
      const replies = await Promise.all(Array.from({ length: 40 }, (_, i) => call(`user-${i}`)));
      expect(replies[3]?.message).toBe('hello, user-3');
      expect(new Set(replies.map((r) => r.replica))).toEqual(new Set(['greeter-0', 'greeter-1']));
    } finally {
      client.close();
    }
  });

  it('shows live status lines per service', async () => {
    // Requests count on the Service the client named (the split apex), attempts on the leaf they went to.
    await waitFor(() => /demo\/hello +replicas +3\/3 +rps +\d+\.\d +success +\d+\.\d%/.test(output), { what: 'status with traffic', timeoutMs: 10_000 });
    expect(output).toMatch(/demo\/hello-v1 +replicas +2\/2 +rps .* attempts\/s +\d+\.\d +\d+\.\d%/);
    expect(output).toMatch(/demo\/greeter +replicas +2\/2/);
  });

  it('stops cleanly on SIGTERM with no process left behind', async () => {
    expect(pids.filter(processAlive).length).toBe(pids.length);
    mesh?.kill('SIGTERM');
    const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 25_000))]);
    expect(code).toBe(0);
    expect(output).toContain('trellis: stopped');
    expect(pids.filter(processAlive)).toEqual([]);
  }, 30_000);
});

describe('npm start interrupted while starting', () => {
  it('stops what it started and leaves no process behind', async () => {
    const argv = [
      join(ROOT, 'dist/tools/local/start.js'),
      '--outbound-port', String(PORTS.outbound),
      '--destination-port', String(PORTS.destination), '--policy-port', String(PORTS.policy),
      '--destination-admin-port', String(PORTS.destinationAdmin),
      '--autoscaler-port', String(PORTS.autoscaler),
      '--metrics-port', String(PORTS.metrics),
      '--addresses', ADDRESSES,
    ];
    const child = spawn(process.execPath, argv, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const seen = new Set<number>();
    try {
      // Interrupt once the runner has started replicas, before the mesh is ready.
      await waitFor(
        () => {
          for (const pid of descendants(child.pid ?? 0)) seen.add(pid);
          return output.includes('runner started') || child.exitCode !== null;
        },
        { what: 'runner started', timeoutMs: START_TIMEOUT_MS, intervalMs: 50 },
      );
      expect(output).not.toContain('trellis: local mesh ready');
      for (const pid of descendants(child.pid ?? 0)) seen.add(pid);
      child.kill('SIGINT');
      const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 25_000))]);
      expect(code).toBe(0);
      expect(output).toContain('trellis: stopped while starting');
      expect(seen.size).toBeGreaterThanOrEqual(11);
      expect([...seen].filter(processAlive)).toEqual([]);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      for (const pid of [...seen].filter(processAlive)) process.kill(pid, 'SIGKILL');
    }
  }, START_TIMEOUT_MS + 30_000);
});
