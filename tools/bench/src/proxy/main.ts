import { build as esbuild } from 'esbuild';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, shellQuote, svgPathFor, USAGE, type BenchArgs } from './args';
import { BenchError } from './errors';
import { FIXED_RATE_CLIENTS, FIXED_RATE_PER_CLIENT_RPS, FIXED_RATE_TOTAL_RPS, measure, measureFixedRate, type LoadPaths, type Target } from './load';
import { describeMachine, loadAverage } from './machine';
import { nginxH1BackendConfig, nginxH2BackendConfig } from './nginx-config';
import { cpuTimeMs, freePort, installExitHandlers, LOAD_CPU, peakRssBytes, PROXY_CPU, removeOnExit, stopProcess, waitForPort, type Managed } from './processes';
import { renderReport } from './report';
import { cpuMicrosPerRequest, SCENARIOS, type Protocol, type Sample, type ScenarioId, type VariantResult } from './results';
import { GRPC_EMPTY_FRAME, smokeH1, smokeH2 } from './smoke';
import { rotate, summarize } from './stats';
import { renderChart } from './svg-chart';
import { closeWindow } from './time-in-proxy-window';
import { installHint, locateTools } from './tools-check';
import { ALL_VARIANTS, selectVariants } from './variants/index';
import { baselineProxyBuildTime, measuredProxyBuildTime } from './variants/trellis';
import type { StartContext, VariantAdapter } from './variants/variant';
import { runNginx } from './variants/nginx';

const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const CHILDREN = ['http-proxy-peer', 'fastify-peer', 'undici-peer', 'node-h2-peer', 'time-in-proxy-preload'];
/** The peers' libraries, loaded from node_modules at run time; everything else (the preload's @trellis/testing) is bundled. */
const CHILDREN_EXTERNAL = ['undici', 'fastify', '@fastify/http-proxy', 'http-proxy'];
const CHILDREN_OUT_DIR = 'dist/tools/bench/proxy';
const BACKEND_BODY_BYTES = 100;
const BYTES_PER_MB = 1024 * 1024;

interface VariantState {
  readonly adapter: VariantAdapter;
  skipped?: string;
  readonly samples: Partial<Record<ScenarioId, Sample[]>>;
  readonly scenarioSkips: Partial<Record<ScenarioId, string>>;
  readonly failures: string[];
  peakRssBytes?: number;
  fixedRatePeakRssBytes?: number;
  readonly fixedRateSamples: Sample[];
}

/** A variant that never worked is skipped; one that worked before keeps its samples and records the failure. */
function fail(state: VariantState, round: number, why: string): void {
  const measured = Object.values(state.samples).some((samples) => samples.length > 0);
  if (measured) state.failures.push(`round ${round + 1}: ${why}`);
  else state.skipped = why;
  console.log(`  ${state.adapter.id}: ${measured ? 'failed' : 'skipped'}, ${why}`);
}

/** Compiles the child scripts to plain ESM next to the app bundles, so they run under node without a loader. */
async function compileChildren(): Promise<string> {
  const outdir = path.join(REPO_ROOT, CHILDREN_OUT_DIR);
  await esbuild({
    entryPoints: CHILDREN.map((name) => path.join(REPO_ROOT, 'tools/bench/src/proxy/children', `${name}.ts`)),
    outdir,
    bundle: true,
    external: CHILDREN_EXTERNAL,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outExtension: { '.js': '.mjs' },
    logLevel: 'warning',
  });
  return outdir;
}

/** Where the time-in-proxy preload is and where the timed proxies write (--time-in-proxy). */
async function timingDir(workDir: string, childrenDir: string): Promise<{ preload: string; dir: string }> {
  const dir = path.join(workDir, 'time-in-proxy');
  await mkdir(dir, { recursive: true });
  return { preload: path.join(childrenDir, 'time-in-proxy-preload.mjs'), dir };
}

/** Both static backends are nginx with one worker on the load CPU, each answering with a BACKEND_BODY_BYTES body. */
async function startBackends(workDir: string, nginx: string): Promise<{ h1Port: number; h2Port: number; processes: Managed[] }> {
  const [h1Port, h2Port] = [await freePort(), await freePort()];
  const body = 'x'.repeat(BACKEND_BODY_BYTES);
  const h1Dir = path.join(workDir, 'backend-h1');
  const h1 = await runNginx('backend-h1', LOAD_CPU, nginx, h1Dir, nginxH1BackendConfig(h1Dir, h1Port, body));
  const h2Dir = path.join(workDir, 'backend-h2');
  const h2 = await runNginx('backend-h2', LOAD_CPU, nginx, h2Dir, nginxH2BackendConfig(h2Dir, h2Port, body));
  await waitForPort(h1, h1Port);
  await waitForPort(h2, h2Port);
  return { h1Port, h2Port, processes: [h1, h2] };
}

function describeSample(sample: Sample): string {
  const rate = `${Math.round(sample.requestsPerSecond)} req/s`;
  const latency = sample.p50Ms !== undefined ? `p50 ${sample.p50Ms.toFixed(3)} ms, p99 ${sample.p99Ms?.toFixed(3)} ms` : `mean ${sample.meanMs?.toFixed(3)} ms`;
  const cpu = sample.cpuMicrosPerRequest !== undefined ? `, ${Math.round(sample.cpuMicrosPerRequest)} µs CPU/request` : '';
  const timed = (sample.timeInProxy ?? [])
    .filter((t) => t.inProxy !== undefined)
    .map((t) => `; in ${t.process} p99 ${t.inProxy?.p99.toFixed(3)} ms${t.own ? ` (own ${t.own.p99.toFixed(3)})` : ''}`)
    .join('');
  return `${rate}, ${latency}${cpu}${sample.errors > 0 ? `, ${sample.errors} errors` : ''}${timed}`;
}

function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** CPU time the variant's proxy processes (each with its children) have used so far, ms. */
function processesCpuMs(processes: readonly Managed[]): number {
  return processes.reduce((sum, p) => sum + cpuTimeMs(p.pid), 0);
}

/** VmHWM of the largest of a variant's processes (each counted with its children, e.g. nginx's worker). */
function largestPeakRss(processes: readonly Managed[]): number {
  return Math.max(0, ...processes.map((p) => peakRssBytes(p.pid)));
}

/** The fresh proxy under FIXED_RATE_TOTAL_RPS of HTTP/1.1 first, so its VmHWM is the peak at that rate, not at full speed. */
async function measureRssAtFixedRate(state: VariantState, processes: readonly Managed[], target: Target, load: LoadPaths, args: BenchArgs, round: number): Promise<void> {
  try {
    const sample = await measureFixedRate(load, target, args.durationSeconds);
    state.fixedRateSamples.push(sample);
    const peak = largestPeakRss(processes);
    state.fixedRatePeakRssBytes = Math.max(state.fixedRatePeakRssBytes ?? 0, peak);
    console.log(`  ${state.adapter.id} h1 at ${FIXED_RATE_TOTAL_RPS} req/s: ${describeSample(sample)}, peak RSS ${(peak / BYTES_PER_MB).toFixed(1)} MB`);
  } catch (err) {
    state.failures.push(`round ${round + 1}, fixed rate: ${reason(err)}`);
    console.log(`  ${state.adapter.id} h1 at ${FIXED_RATE_TOTAL_RPS} req/s: failed, ${reason(err)}`);
  }
}

/**
 * One slot: start the variant, check it answers, run it at a fixed rate and read its peak RSS, warm it up, measure each
 * scenario once, read its peak RSS again, stop it.
 */
async function runSlot(state: VariantState, ctx: StartContext, load: LoadPaths, args: BenchArgs, round: number): Promise<void> {
  const { adapter } = state;
  const slotDir = path.join(ctx.workDir, `${adapter.id}-${round}`);
  await mkdir(slotDir, { recursive: true });
  let started;
  try {
    started = await adapter.start({ ...ctx, workDir: slotDir });
  } catch (err) {
    fail(state, round, `did not start: ${reason(err)}`);
    return;
  }
  try {
    const scenarios = SCENARIOS.filter((s) => args.scenarios.includes(s.id));
    const wants = (protocol: Protocol) => scenarios.some((s) => s.protocol === protocol);
    const skipProtocol = (protocol: Protocol, why: string) => {
      for (const s of scenarios) if (s.protocol === protocol) state.scenarioSkips[s.id] ??= why;
    };
    const targets: Partial<Record<Protocol, Target>> = {};
    if (started.h1 && wants('h1')) {
      try {
        await smokeH1(started.h1, BACKEND_BODY_BYTES);
        targets.h1 = started.h1;
      } catch (err) {
        fail(state, round, `does not proxy HTTP/1.1: ${reason(err)}`);
        return;
      }
    }
    if (started.h2 && wants('h2') && !scenarios.some((s) => s.protocol === 'h2' && state.scenarioSkips[s.id])) {
      try {
        await smokeH2(started.h2);
        targets.h2 = started.h2;
      } catch (err) {
        skipProtocol('h2', `does not proxy h2c: ${reason(err)}`);
      }
    }
    if (targets.h1 && started.processes.length > 0) await measureRssAtFixedRate(state, started.processes, targets.h1, load, args, round);
    for (const [id, why] of Object.entries(started.scenarioSkips ?? {})) state.scenarioSkips[id as ScenarioId] ??= why;
    if (!started.h2) skipProtocol('h2', 'no HTTP/2 listener');
    const warmed = new Set<string>();
    for (const scenario of scenarios) {
      const target = targets[scenario.protocol];
      if (!target || state.scenarioSkips[scenario.id]) continue;
      if (!warmed.has(scenario.protocol)) {
        warmed.add(scenario.protocol);
        const heaviest = SCENARIOS.filter((s) => s.protocol === scenario.protocol).at(-1) ?? scenario;
        await measure(load, target, heaviest, args.warmupSeconds).catch(() => undefined);
      }
      try {
        const timed = ctx.timeInProxy === undefined ? [] : (started.timed ?? []);
        if (ctx.timeInProxy !== undefined) await closeWindow(timed, ctx.timeInProxy.dir);
        const cpuBefore = processesCpuMs(started.processes);
        const measured = await measure(load, target, scenario, args.durationSeconds);
        const cpu = started.processes.length > 0 ? cpuMicrosPerRequest(processesCpuMs(started.processes) - cpuBefore, measured.requests) : undefined;
        const timeInProxy = ctx.timeInProxy !== undefined && timed.length > 0 ? await closeWindow(timed, ctx.timeInProxy.dir) : undefined;
        const sample = { ...measured, ...(cpu === undefined ? {} : { cpuMicrosPerRequest: cpu }), ...(timeInProxy === undefined ? {} : { timeInProxy }) };
        (state.samples[scenario.id] ??= []).push(sample);
        console.log(`  ${adapter.id} ${scenario.id}: ${describeSample(sample)}`);
      } catch (err) {
        state.failures.push(`round ${round + 1}, ${scenario.id}: ${reason(err)}`);
        console.log(`  ${adapter.id} ${scenario.id}: failed, ${reason(err)}`);
      }
    }
    if (started.processes.length > 0) state.peakRssBytes = Math.max(state.peakRssBytes ?? 0, largestPeakRss(started.processes));
    await started.verify?.().catch((err: unknown) => fail(state, round, `not verified: ${reason(err)}`));
  } finally {
    await started.stop();
  }
}

function chart(results: readonly VariantResult[], scenarios: readonly ScenarioId[]): string {
  return renderChart({
    title: 'Requests per second through each proxy (median, whiskers min–max)',
    unit: 'requests per second',
    series: [...scenarios],
    groups: results
      .filter((r) => !r.skipped)
      .map((r) => ({
        label: r.label,
        bars: scenarios.map((id) => summarize((r.samples[id] ?? []).map((x) => x.requestsPerSecond))),
      })),
  });
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(`${USAGE}\n  variants: ${ALL_VARIANTS.map((v) => v.id).join(', ')}`);
    return 0;
  }
  let args: BenchArgs;
  try {
    args = parseArgs(argv);
  } catch (err) {
    console.error(reason(err));
    return 2;
  }
  installExitHandlers();
  const { found, missing } = locateTools();
  if (missing.length > 0) {
    console.error(`missing tools: ${missing.join(', ')}\ninstall them with:\n  ${installHint(missing)}`);
    return 2;
  }
  let variants: VariantAdapter[];
  try {
    variants = selectVariants(ALL_VARIANTS, args.only, args.baselineProxy !== undefined);
  } catch (err) {
    console.error(`${reason(err)}\n${USAGE}`);
    return 2;
  }
  const machine = describeMachine(found);
  const date = new Date().toISOString();
  const loadAtStart = loadAverage();
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'trellis-proxy-bench-'));
  removeOnExit(workDir);
  const backends: Managed[] = [];
  try {
    const childrenDir = await compileChildren();
    const grpcBodyFile = path.join(workDir, 'grpc-body.bin');
    await writeFile(grpcBodyFile, GRPC_EMPTY_FRAME);
    const backend = await startBackends(workDir, found.nginx ?? 'nginx');
    backends.push(...backend.processes);
    const ctx: StartContext = {
      repoRoot: REPO_ROOT,
      workDir,
      childrenDir,
      backendH1Port: backend.h1Port,
      backendH2Port: backend.h2Port,
      tools: found,
      build: args.build,
      proxyNodeOptions: args.proxyNodeOptions,
      baselineProxy: args.baselineProxy,
      timeInProxy: args.timeInProxy ? await timingDir(workDir, childrenDir) : undefined,
    };
    const load: LoadPaths = { wrk: found.wrk ?? 'wrk', h2load: found.h2load ?? 'h2load', grpcBodyFile };
    const states: VariantState[] = variants.map((adapter) => ({ adapter, samples: {}, scenarioSkips: {}, failures: [], fixedRateSamples: [] }));
    console.log(`proxy bench: ${variants.length} variants, ${args.runs} round(s) of ${args.durationSeconds} s; proxies on CPU ${PROXY_CPU}, load and backends on CPU ${LOAD_CPU}`);
    for (let round = 0; round < args.runs; round++) {
      console.log(`round ${round + 1}/${args.runs}`);
      for (const state of rotate(states, round)) {
        if (state.skipped) continue;
        await runSlot(state, ctx, load, args, round);
      }
    }
    const results: VariantResult[] = states.map((s) => ({
      id: s.adapter.id,
      label: s.adapter.label,
      description: s.adapter.description,
      kind: s.adapter.kind,
      baselineOf: s.adapter.baselineOf,
      skipped: s.skipped,
      samples: s.samples,
      scenarioSkips: s.scenarioSkips,
      failures: s.failures,
      peakRssBytes: s.peakRssBytes,
      fixedRatePeakRssBytes: s.fixedRatePeakRssBytes,
      fixedRateSamples: s.fixedRateSamples,
    }));
    const svgPath = svgPathFor(args.out);
    const bundleTime = measuredProxyBuildTime();
    const baselineTime = baselineProxyBuildTime();
    const notes = [
      `Each proxy is pinned to CPU ${PROXY_CPU} with taskset; wrk/h2load, the backends and the destination service share CPU ${LOAD_CPU}. Proxies are started fresh for each round, checked with one request, warmed up for ${args.warmupSeconds} s (HTTP/1.1 at c=50, then HTTP/2) before the measured runs, and measured in a variant order rotated by one per round.`,
      `Backends: both are nginx with one worker on CPU ${LOAD_CPU}, so direct measures wrk against nginx and the peers are not capped by a slow backend. HTTP/1.1 answers every GET with 200 and a static 100-byte body over keep-alive connections; HTTP/2 is h2c answering a gRPC-style POST (5-byte frame) with 200, a 100-byte body and a grpc-status trailer. Load: wrk -t1 --latency (c=1, c=50); h2load -t1 -c1 -m1 and -c10 -m10.`,
      `nginx as an HTTP/2 proxy fails a few streams per run (its error log: "upstream sent frame for unknown stream"): the nginx h2c backend answers before reading the 5-byte request body and then resets the stream with NO_ERROR, which nginx's grpc_pass does not expect on a reused connection. Those streams count as errors in its row.`,
      `CPU µs/request is the user + system time of the variant's proxy processes (nginx with its worker; every Trellis proxy of the variant, not the destination service) during a measurement, divided by the requests it completed: on a shared machine it moves less than the rates do.`,
      `Peak RSS is VmHWM of the proxy process (with its children for nginx), the largest over the rounds; for the Trellis variants with several processes, the largest process. It is read twice per round: first right after a fixed-rate HTTP/1.1 run on the fresh process (h2load --h1 -c${FIXED_RATE_CLIENTS} --rps ${FIXED_RATE_PER_CLIENT_RPS}, ${FIXED_RATE_TOTAL_RPS} req/s for ${args.durationSeconds} s, before warm-up: issue 8's "under 5,000 req/s"), then after all the full-speed runs.`,
      `1-minute load average of the machine: ${loadAtStart ?? 'unknown'} at the start, ${loadAverage() ?? 'unknown'} at the end (${machine.nproc} CPUs; anything above 2 means other processes competed for the CPUs).`,
      ...(bundleTime ? [`Trellis variants${args.baselineProxy ? ' other than the baselines' : ''} ran a copy of dist/apps/proxy/main.js (and of the destination and identity bundles) taken at the start, built ${bundleTime}.`] : []),
      ...(args.baselineProxy && baselineTime
        ? [`The baseline variants (\`-baseline\`) ran a copy of ${args.baselineProxy} (built ${baselineTime}) taken at the start, with the same node options, environment and destination service as the current build, in the same rounds.`]
        : []),
      ...(args.timeInProxy
        ? [`--time-in-proxy: every Node proxy ran with tools/bench/src/proxy/children/time-in-proxy-preload.ts (node --import), which times each request at the process's sockets through Node's net diagnostics channels: from the read that starts it to the first write of its answer ("in proxy"), the part of it waiting on a dialled connection ("backend"), and the difference for requests alone in the process ("own"). What a client sees above "in proxy" is spent outside the process. The wrapped socket writes cost a little CPU in every timed variant alike.`]
        : []),
      ...(args.proxyNodeOptions.length > 0 ? [`Trellis proxies ran as \`node ${args.proxyNodeOptions.join(' ')} main.js\`.`] : []),
      ...args.notes,
    ];
    const markdown = renderReport(
      {
        command: `npx nx run bench:proxy-bench -- ${argv.map(shellQuote).join(' ')}`.trim(),
        date,
        machine,
        runs: args.runs,
        durationSeconds: args.durationSeconds,
        notes,
        svgFile: path.basename(svgPath),
        scenarios: args.scenarios,
      },
      results,
    );
    await mkdir(path.dirname(path.resolve(REPO_ROOT, args.out)), { recursive: true });
    await writeFile(path.resolve(REPO_ROOT, args.out), markdown);
    await writeFile(path.resolve(REPO_ROOT, svgPath), chart(results, args.scenarios));
    console.log(`\nwrote ${args.out} and ${svgPath}`);
    for (const r of results.filter((x) => x.skipped)) console.log(`SKIPPED ${r.id}: ${r.skipped}`);
    return 0;
  } catch (err) {
    console.error(err instanceof BenchError ? `${err.code}: ${err.message}` : err);
    return 1;
  } finally {
    await Promise.all(backends.map(stopProcess));
    await rm(workDir, { recursive: true, force: true });
  }
}

process.exitCode = await main();
