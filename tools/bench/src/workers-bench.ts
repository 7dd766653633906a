// Proxy workers benchmark (issue 15): the inbound role in front of an nginx backend, run as one process
// (TRELLIS_PROXY_WORKERS unset), under the supervisor with 1 worker, and with 2 workers, interleaved in the same
// rounds; wrk drives HTTP/1.1 keep-alive load. nginx and wrk are pinned to CPU 1; the proxy is not pinned, so its
// workers may use both CPUs (on a 2-CPU machine the second worker shares CPU 1 with the load generator).
// Prints each sample, the medians and the 2-worker / 1-worker throughput ratio.
// Usage: workers-bench [--rounds 3] [--duration 10] [--connections 50]
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { bundleEntry } from '@trellis/testing';
import { measure } from './proxy/load';
import { describeMachine, loadAverage } from './proxy/machine';
import { nginxH1BackendConfig } from './proxy/nginx-config';
import { freePort, installExitHandlers, LOAD_CPU, stopProcess, waitForPort } from './proxy/processes';
import type { Scenario } from './proxy/results';
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
      options: { rounds: { type: 'string', default: '3' }, duration: { type: 'string', default: '10' }, connections: { type: 'string', default: '50' } },
    });
    const n = (name: keyof typeof values, max: number) => {
      const v = Number(values[name]);
      if (!Number.isInteger(v) || v < 1 || v > max) throw new Error(`--${name} must be an integer from 1 to ${max}`);
      return v;
    };
    return { rounds: n('rounds', 20), duration: n('duration', 600), connections: n('connections', 1_000) };
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

async function main(): Promise<void> {
  const { rounds, duration, connections } = flags();
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
  const backend = await runNginx('backend', LOAD_CPU, nginx, workDir, nginxH1BackendConfig(workDir, backendPort, BODY));
  await waitForPort(backend, backendPort);
  const machine = describeMachine({ nginx, wrk });
  console.log(`# workers-bench ${new Date().toISOString()}: ${machine.nproc} × ${machine.cpuModel}, Node ${machine.node}; load average ${loadAverage()}`);
  console.log(`# wrk -t1 -c${connections}, ${duration} s per sample after ${WARMUP_SECONDS} s warm-up, ${rounds} rounds`);
  const samples = new Map<string, number[]>(VARIANTS.map((v) => [v.id, []]));
  try {
    for (let round = 0; round < rounds; round++) {
      for (const variant of VARIANTS) {
        const proxy = await startProxy(variant.workers, backendPort);
        try {
          const target = { url: `http://127.0.0.1:${proxy.port}/`, headers: [] };
          const paths = { wrk, h2load: '', grpcBodyFile: '' };
          const scenario: Scenario = { id: 'h1-c50', title: 'HTTP/1.1 keep-alive', protocol: 'h1', connections, streams: 1 };
          await measure(paths, target, scenario, WARMUP_SECONDS);
          const sample = await measure(paths, target, scenario, duration);
          samples.get(variant.id)?.push(sample.requestsPerSecond);
          console.log(
            `round ${round + 1} ${variant.id.padEnd(9)} ${Math.round(sample.requestsPerSecond)} req/s  p50 ${sample.p50Ms?.toFixed(3)} ms  p99 ${sample.p99Ms?.toFixed(3)} ms  errors ${sample.errors}`,
          );
        } finally {
          await stopProxy(proxy.child);
        }
      }
    }
  } finally {
    await stopProcess(backend);
    await rm(workDir, { recursive: true, force: true });
  }
  console.log('\n| variant | median req/s |\n|---|---:|');
  const medians = new Map(VARIANTS.map((v) => [v.id, median(samples.get(v.id) ?? [])]));
  for (const v of VARIANTS) console.log(`| ${v.label} | ${Math.round(medians.get(v.id) ?? 0)} |`);
  const one = medians.get('workers-1') ?? 0;
  const two = medians.get('workers-2') ?? 0;
  console.log(`\n2 workers / 1 worker: ${(two / one).toFixed(2)}x; supervisor + 1 worker / one process: ${(one / (medians.get('single') ?? 1)).toFixed(2)}x`);
  console.log(`# load average after: ${loadAverage()}`);
}

main().catch((err: unknown) => {
  console.error(`workers-bench: ${(err as Error).message}`);
  process.exit(1);
});
