// Proxy workers benchmark (issue 15): the inbound role in front of an nginx backend under the supervisor with 1
// worker and with 2 workers (and, with --with-single, as one process), each round running every variant back to
// back in an order that alternates round by round (AB, BA, ...). The figure that answers the issue is the ratio
// 2 workers ÷ 1 worker taken within each round (both saw the same neighbours), reported per round and as median and
// min–max. The load generator and the backend are kept cheap (wrk -t1, nginx with 1 worker, a 100-byte answer);
// with --pin they run on LOAD_CPU (taskset) while the proxy and its workers may use every CPU.
// Usage: see WORKERS_BENCH_USAGE in workers-rounds.ts.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleEntry } from '@trellis/testing';
import { wrkArgs } from './proxy/load';
import { describeMachine, loadAverage } from './proxy/machine';
import { nginxH1BackendConfig } from './proxy/nginx-config';
import { freePort, installExitHandlers, LOAD_CPU, stopProcess, waitForPort } from './proxy/processes';
import type { Sample } from './proxy/results';
import { parseWrk } from './proxy/wrk-output';
import { median } from './proxy/stats';
import { findExecutable } from './proxy/tools-check';
import { runNginx } from './proxy/variants/nginx';
import {
  describeRatios,
  pairedRatios,
  parseWorkersBenchFlags,
  roundOrder,
  SINGLE_VARIANT,
  WORKER_VARIANTS,
  WORKERS_BENCH_USAGE,
  type Round,
  type Variant,
  type WorkersBenchFlags,
} from './workers-rounds';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const BUNDLE = path.join(ROOT, 'dist/bench/workers/proxy.mjs');
/** Ours: wrk's warm-up before each measured sample, so JIT and connection set-up stay out of it. */
const WARMUP_SECONDS = 2;
const START_TIMEOUT_MS = 30_000;
/** A small answer, so that nginx stays cheap beside the proxy. */
const BODY = 'x'.repeat(100);

function flags(): WorkersBenchFlags {
  try {
    const parsed = parseWorkersBenchFlags(process.argv.slice(2));
    if (parsed.help) {
      console.log(`usage: ${WORKERS_BENCH_USAGE}`);
      process.exit(0);
    }
    return parsed;
  } catch (err) {
    console.error(`workers-bench: ${(err as Error).message}\nusage: ${WORKERS_BENCH_USAGE}`);
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

/** One wrk run (one thread), on `cpu` when given (taskset), else on any CPU. */
function runWrk(wrk: string, url: string, connections: number, seconds: number, cpu: number | undefined): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const args = wrkArgs({ url, headers: [] }, connections, seconds);
    const child =
      cpu === undefined
        ? spawn(wrk, args, { stdio: ['ignore', 'pipe', 'pipe'] })
        : spawn('taskset', ['-c', String(cpu), wrk, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
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

/** Starts one variant, warms it up and measures it; the proxy is stopped whatever happens. */
async function measureVariant(variant: Variant, backendPort: number, run: (url: string, seconds: number) => Promise<Sample>, duration: number) {
  const proxy = await startProxy(variant.workers, backendPort);
  try {
    const url = `http://127.0.0.1:${proxy.port}/`;
    await run(url, WARMUP_SECONDS);
    const cpuBefore = cpuSeconds(proxy.child.pid ?? 0);
    const sample = await run(url, duration);
    const cpuPerRequestUs = ((cpuSeconds(proxy.child.pid ?? 0) - cpuBefore) / (sample.requestsPerSecond * duration)) * 1e6;
    return { sample, cpuPerRequestUs };
  } finally {
    await stopProxy(proxy.child);
  }
}

async function main(): Promise<void> {
  const { rounds, duration, connections, pin, withSingle } = flags();
  const nginx = findExecutable('nginx');
  const wrk = findExecutable('wrk');
  if (nginx === undefined || wrk === undefined || (pin && findExecutable('taskset') === undefined)) {
    console.error('workers-bench: needs nginx and wrk, and taskset with --pin (Debian: apt-get install nginx wrk util-linux)');
    process.exit(2);
  }
  installExitHandlers();
  await bundleEntry(path.join(ROOT, 'apps/proxy/src/main.ts'), BUNDLE);
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'workers-bench-'));
  const backendPort = await freePort();
  const config = nginxH1BackendConfig(workDir, backendPort, BODY);
  const backend = pin ? await runNginx('backend', LOAD_CPU, nginx, workDir, config) : undefined;
  const unpinned = pin ? undefined : await startNginx(nginx, workDir, config);
  if (backend !== undefined) await waitForPort(backend, backendPort);
  else await new Promise((r) => setTimeout(r, 500));
  const variants: Variant[] = withSingle ? [SINGLE_VARIANT, ...WORKER_VARIANTS] : [...WORKER_VARIANTS];
  const machine = describeMachine({ nginx, wrk });
  console.log(`# workers-bench ${new Date().toISOString()}: ${machine.nproc} × ${machine.cpuModel}, Node ${machine.node}; load average ${loadAverage()}`);
  console.log(
    `# wrk -t1 -c${connections} (HTTP/1.1 keep-alive), nginx 1 worker answering ${BODY.length} bytes; ${
      pin ? `wrk and nginx pinned to CPU ${LOAD_CPU}, the proxy on every CPU` : 'nothing pinned'
    }`,
  );
  console.log(`# ${rounds} rounds of ${variants.map((v) => v.id).join(' + ')}, order alternating per round; ${duration} s per sample after ${WARMUP_SECONDS} s warm-up`);
  const measured: Round[] = [];
  const samples = new Map<string, number[]>(variants.map((v) => [v.id, []]));
  const cpu = new Map<string, number[]>(variants.map((v) => [v.id, []]));
  const run = (url: string, seconds: number) => runWrk(wrk, url, connections, seconds, pin ? LOAD_CPU : undefined);
  try {
    for (let round = 0; round < rounds; round++) {
      const rates = new Map<string, number>();
      for (const variant of roundOrder(variants, round)) {
        const { sample, cpuPerRequestUs } = await measureVariant(variant, backendPort, run, duration);
        rates.set(variant.id, sample.requestsPerSecond);
        samples.get(variant.id)?.push(sample.requestsPerSecond);
        cpu.get(variant.id)?.push(cpuPerRequestUs);
        console.log(
          `round ${round + 1} ${variant.id.padEnd(9)} ${Math.round(sample.requestsPerSecond)} req/s  p50 ${sample.p50Ms?.toFixed(3)} ms  p99 ${sample.p99Ms?.toFixed(3)} ms  proxy CPU ${cpuPerRequestUs.toFixed(0)} µs/request  errors ${sample.errors}`,
        );
      }
      measured.push(rates);
      const [ratio] = pairedRatios([rates], 'workers-2', 'workers-1');
      console.log(`round ${round + 1} 2 workers ÷ 1 worker: ${ratio === undefined ? 'n/a' : `${ratio.toFixed(2)}×`}  (load average ${loadAverage()})`);
    }
  } finally {
    if (backend !== undefined) await stopProcess(backend);
    if (unpinned !== undefined) process.kill(-(unpinned.pid ?? 0), 'SIGKILL');
    await rm(workDir, { recursive: true, force: true });
  }
  console.log('\n| variant | median req/s | min–max req/s | median proxy CPU per request |\n|---|---:|---:|---:|');
  for (const v of variants) {
    const rates = samples.get(v.id) ?? [];
    console.log(`| ${v.label} | ${Math.round(median(rates))} | ${Math.round(Math.min(...rates))}–${Math.round(Math.max(...rates))} | ${median(cpu.get(v.id) ?? []).toFixed(0)} µs |`);
  }
  const perRound = pairedRatios(measured, 'workers-2', 'workers-1');
  console.log(`\n2 workers ÷ 1 worker, paired within each round: ${perRound.map((r) => r.toFixed(2)).join(' / ')}`);
  console.log(`2 workers ÷ 1 worker: ${describeRatios(perRound)}`);
  if (withSingle) console.log(`supervisor + 1 worker ÷ one process: ${describeRatios(pairedRatios(measured, 'workers-1', 'single'))}`);
  console.log(`# load average after: ${loadAverage()}`);
}

main().catch((err: unknown) => {
  console.error(`workers-bench: ${(err as Error).message}`);
  process.exit(1);
});
