// Proxy workers benchmark (issue 15): the inbound role in front of an nginx backend, run as one process
// (TRELLIS_PROXY_WORKERS unset), under the supervisor with 1 worker, and with 2 workers, interleaved in the same
// rounds; wrk drives HTTP/1.1 keep-alive load. Nothing is pinned (with --pin-load, nginx and wrk are pinned to CPU 1,
// as proxy-bench does): on a 2-CPU machine the workers share the CPUs with the load generator and the backend, so the
// figure is the whole machine's, not the proxy's alone. Prints each sample, the medians and the 2 / 1 worker ratio.
// Usage: workers-bench [--rounds 3] [--duration 10] [--connections 50] [--pin-load]
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { bundleEntry } from '@trellis/testing';
import { measure, wrkArgs } from './proxy/load';
import { describeMachine, loadAverage } from './proxy/machine';
import { nginxH1BackendConfig } from './proxy/nginx-config';
import { freePort, installExitHandlers, LOAD_CPU, stopProcess, waitForPort } from './proxy/processes';
import type { Sample, Scenario } from './proxy/results';
import { parseWrk } from './proxy/wrk-output';
import { median } from './proxy/stats';
import { findExecutable } from './proxy/tools-check';
import { runNginx } from './proxy/variants/nginx';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const BUNDLE = path.join(ROOT, 'dist/bench/workers/proxy.mjs');
/** Ours: wrk's warm-up before each measured sample, so JIT and connection set-up stay out of it. */
const WARMUP_SECONDS = 2;
const START_TIMEOUT_MS = 30_000;
const BODY = 'x'.repeat(100);

const VARIANTS = [
  { id: 'single', label: 'one process (TRELLIS_PROXY_WORKERS unset)', workers: undefined },
  { id: 'workers-1', label: 'supervisor + 1 worker', workers: '1' },
  { id: 'workers-2', label: 'supervisor + 2 workers', workers: '2' },
] as const;

function flags() {
  try {
    const { values } = parseArgs({
      options: {
        rounds: { type: 'string', default: '3' },
        duration: { type: 'string', default: '10' },
        connections: { type: 'string', default: '50' },
        'pin-load': { type: 'boolean', default: false },
      },
    });
    const n = (name: 'rounds' | 'duration' | 'connections', max: number) => {
      const v = Number(values[name]);
      if (!Number.isInteger(v) || v < 1 || v > max) throw new Error(`--${name} must be an integer from 1 to ${max}`);
      return v;
    };
    return { rounds: n('rounds', 20), duration: n('duration', 600), connections: n('connections', 1_000), pinLoad: values['pin-load'] ?? false };
  } catch (err) {
    console.error(`workers-bench: ${(err as Error).message}`);
    process.exit(2);
  }
}

/** Starts the bundled proxy (inbound role only) and resolves with its HTTP port once it logs its ports. */
async function startProxy(workers: string | undefined, userPort: number): Promise<{ child: ChildProcess; port: number }> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    TRELLIS_INBOUND_HOST: '127.0.0.1',
    QUEUE_SERVING_PORT: String(await freePort()),
    TRELLIS_INBOUND_H2C_PORT: '0',
    TRELLIS_ADMIN_PORT: '0',
    TRELLIS_STATS_PORT: '0',
    TRELLIS_METRICS_PORT: '0',
    TRELLIS_OUTBOUND_ADDR: 'off',
    TRELLIS_LOG_LEVEL: 'warn',
    TRELLIS_DRAIN_QUIET_PERIOD_MS: '0',
    USER_PORT: String(userPort),
    ...(workers === undefined ? {} : { TRELLIS_PROXY_WORKERS: workers }),
  };
  const child = spawn(process.execPath, [BUNDLE], { env, detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  const port = Number(env.QUEUE_SERVING_PORT);
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the proxy exited (${child.exitCode}) before listening`);
    try {
      const r = await fetch(`http://127.0.0.1:${port}/`);
      await r.arrayBuffer();
      if (r.status === 200) return { child, port };
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the proxy did not answer within 30 s');
}

async function stopProxy(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    process.kill(-(child.pid ?? 0), 'SIGKILL');
  } catch {
    // Already gone.
  }
  await exited;
}

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ, 100 on Linux). */
const USER_HZ = 100;

/** CPU seconds (user + system) used so far by a process and its descendants, from /proc. */
function cpuSeconds(pid: number, depth = 0): number {
  let own = 0;
  let children: number[] = [];
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    own = (Number(fields[11]) + Number(fields[12])) / USER_HZ;
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    // Gone, or not Linux.
  }
  return own + (depth < 2 ? children.reduce((sum, child) => sum + cpuSeconds(child, depth + 1), 0) : 0);
}

/** nginx in the foreground with everything under `dir`, on any CPU. */
async function startNginx(nginx: string, dir: string, config: string): Promise<ChildProcess> {
  const file = path.join(dir, 'nginx.conf');
  await writeFile(file, config);
  return spawn(nginx, ['-p', dir, '-c', file, '-e', path.join(dir, 'error.log')], { detached: true, stdio: 'ignore' });
}

/** One wrk run on any CPU. */
function runWrk(wrk: string, url: string, connections: number, seconds: number): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const child = spawn(wrk, wrkArgs({ url, headers: [] }, connections, seconds), { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.once('error', reject);
    child.once('exit', () => {
      try {
        const r = parseWrk(out);
        resolve({ requestsPerSecond: r.requestsPerSecond, p50Ms: r.latencyMs.p50, p99Ms: r.latencyMs.p99, errors: r.socketErrors + r.non2xx });
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  });
}

async function main(): Promise<void> {
  const { rounds, duration, connections, pinLoad } = flags();
  const nginx = findExecutable('nginx');
  const wrk = findExecutable('wrk');
  if (nginx === undefined || wrk === undefined) {
    console.error('workers-bench: needs nginx and wrk (Debian: apt-get install nginx wrk)');
    process.exit(2);
  }
  installExitHandlers();
  await bundleEntry(path.join(ROOT, 'apps/proxy/src/main.ts'), BUNDLE);
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'workers-bench-'));
  const backendPort = await freePort();
  const config = nginxH1BackendConfig(workDir, backendPort, BODY);
  const backend = pinLoad ? await runNginx('backend', LOAD_CPU, nginx, workDir, config) : undefined;
  const unpinned = pinLoad ? undefined : await startNginx(nginx, workDir, config);
  if (backend !== undefined) await waitForPort(backend, backendPort);
  else await new Promise((r) => setTimeout(r, 500));
  const machine = describeMachine({ nginx, wrk });
  console.log(`# workers-bench ${new Date().toISOString()}: ${machine.nproc} × ${machine.cpuModel}, Node ${machine.node}; load average ${loadAverage()}`);
  console.log(`# wrk -t1 -c${connections}, ${duration} s per sample after ${WARMUP_SECONDS} s warm-up, ${rounds} rounds, ${pinLoad ? 'nginx and wrk on CPU 1' : 'nothing pinned'}`);
  const samples = new Map<string, number[]>(VARIANTS.map((v) => [v.id, []]));
  const cpu = new Map<string, number[]>(VARIANTS.map((v) => [v.id, []]));
  try {
    for (let round = 0; round < rounds; round++) {
      for (const variant of VARIANTS) {
        const proxy = await startProxy(variant.workers, backendPort);
        try {
          const target = { url: `http://127.0.0.1:${proxy.port}/`, headers: [] };
          const paths = { wrk, h2load: '', grpcBodyFile: '' };
          const scenario: Scenario = { id: 'h1-c50', title: 'HTTP/1.1 keep-alive', protocol: 'h1', connections, streams: 1 };
          const run = (seconds: number) => (pinLoad ? measure(paths, target, scenario, seconds) : runWrk(wrk, target.url, connections, seconds));
          await run(WARMUP_SECONDS);
          const cpuBefore = cpuSeconds(proxy.child.pid ?? 0);
          const sample = await run(duration);
          const cpuPerRequestUs = ((cpuSeconds(proxy.child.pid ?? 0) - cpuBefore) / (sample.requestsPerSecond * duration)) * 1e6;
          samples.get(variant.id)?.push(sample.requestsPerSecond);
          cpu.get(variant.id)?.push(cpuPerRequestUs);
          console.log(
            `round ${round + 1} ${variant.id.padEnd(9)} ${Math.round(sample.requestsPerSecond)} req/s  p50 ${sample.p50Ms?.toFixed(3)} ms  p99 ${sample.p99Ms?.toFixed(3)} ms  proxy CPU ${cpuPerRequestUs.toFixed(0)} µs/request  errors ${sample.errors}`,
          );
        } finally {
          await stopProxy(proxy.child);
        }
      }
    }
  } finally {
    if (backend !== undefined) await stopProcess(backend);
    if (unpinned !== undefined) process.kill(-(unpinned.pid ?? 0), 'SIGKILL');
    await rm(workDir, { recursive: true, force: true });
  }
  console.log('\n| variant | median req/s | median proxy CPU per request |\n|---|---:|---:|');
  const medians = new Map(VARIANTS.map((v) => [v.id, median(samples.get(v.id) ?? [])]));
  for (const v of VARIANTS) console.log(`| ${v.label} | ${Math.round(medians.get(v.id) ?? 0)} | ${median(cpu.get(v.id) ?? []).toFixed(0)} µs |`);
  const one = medians.get('workers-1') ?? 0;
  const two = medians.get('workers-2') ?? 0;
  console.log(`\n2 workers / 1 worker: ${(two / one).toFixed(2)}x; supervisor + 1 worker / one process: ${(one / (medians.get('single') ?? 1)).toFixed(2)}x`);
  console.log(`# load average after: ${loadAverage()}`);
}

main().catch((err: unknown) => {
  console.error(`workers-bench: ${(err as Error).message}`);
  process.exit(1);
});
