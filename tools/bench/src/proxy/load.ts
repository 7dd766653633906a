import { BenchError } from './errors';
import { parseH2load } from './h2load-output';
import { runTool, type ToolRun } from './processes';
import type { Sample, Scenario } from './results';
import { parseWrk } from './wrk-output';

/** Where the load goes: a URL plus headers (Host for HTTP/1.1, :authority for HTTP/2) the proxy routes on. */
export interface Target {
  readonly url: string;
  readonly headers: readonly string[];
}

/** Extra time a load generator gets beyond its duration before it is killed. */
const TOOL_GRACE_MS = 20_000;
/** wrk's per-request timeout; a stalled request counts as a socket error instead of hanging the run. */
const WRK_TIMEOUT_S = 5;

export interface LoadPaths {
  readonly wrk: string;
  readonly h2load: string;
  /** A gRPC-framed request body for the HTTP/2 runs. */
  readonly grpcBodyFile: string;
}

function headerArgs(target: Target): string[] {
  return target.headers.flatMap((h) => ['-H', h]);
}

export function wrkArgs(target: Target, connections: number, seconds: number): string[] {
  return ['-t1', `-c${connections}`, `-d${seconds}s`, `--timeout`, `${WRK_TIMEOUT_S}s`, '--latency', ...headerArgs(target), target.url];
}

export function h2loadArgs(target: Target, scenario: Scenario, seconds: number, bodyFile: string): string[] {
  return [
    '-t1',
    '-c', String(scenario.connections),
    '-m', String(scenario.streams),
    '-D', String(seconds),
    '-d', bodyFile,
    '-H', 'content-type: application/grpc',
    '-H', 'te: trailers',
    ...headerArgs(target),
    target.url,
  ];
}

// Issue 8's RSS aim is "Peak RSS of a proxy under 5,000 req/s": FIXED_RATE_CLIENTS keep-alive connections, each
// sending FIXED_RATE_PER_CLIENT_RPS requests per second (h2load --rps is per client).
export const FIXED_RATE_CLIENTS = 5;
export const FIXED_RATE_PER_CLIENT_RPS = 1_000;
export const FIXED_RATE_TOTAL_RPS = FIXED_RATE_CLIENTS * FIXED_RATE_PER_CLIENT_RPS;

/**
 * A Host header as h2load's :authority: h2load 1.52 with --h1 and `-H 'Host: …'` never exits after its duration
 * (seen on this machine); given :authority it sends that value as the Host header.
 */
export function asAuthority(header: string): string {
  const match = /^host:\s*(.*)$/i.exec(header);
  return match ? `:authority: ${match[1]}` : header;
}

/** h2load over HTTP/1.1 at a fixed total rate (FIXED_RATE_TOTAL_RPS) for `seconds`. */
export function fixedRateArgs(target: Target, seconds: number): string[] {
  return [
    '--h1',
    '-t1',
    '-c', String(FIXED_RATE_CLIENTS),
    '--rps', String(FIXED_RATE_PER_CLIENT_RPS),
    '-D', String(seconds),
    ...target.headers.flatMap((h) => ['-H', asAuthority(h)]),
    target.url,
  ];
}

function h2loadSample(run: ToolRun): Sample {
  try {
    const result = parseH2load(run.stdout);
    if (result.succeeded === 0) throw new BenchError('BENCH_LOAD', 'h2load: no request succeeded');
    return {
      requestsPerSecond: result.requestsPerSecond,
      requests: result.succeeded,
      meanMs: result.latencyMs.mean,
      errors: result.failed + result.errored + result.status4xx + result.status5xx,
    };
  } catch (err) {
    const tail = `${run.stdout}\n${run.stderr}`.trim().split('\n').slice(-3).join(' | ');
    throw new BenchError('BENCH_LOAD', `h2load failed (exit ${run.code}): ${tail}`, { cause: err });
  }
}

/** HTTP/1.1 load at FIXED_RATE_TOTAL_RPS; the sample's rate is what the target actually served. */
export async function measureFixedRate(paths: LoadPaths, target: Target, seconds: number): Promise<Sample> {
  return h2loadSample(await runTool('h2load', paths.h2load, fixedRateArgs(target, seconds), seconds * 1000 + TOOL_GRACE_MS));
}

export async function measure(paths: LoadPaths, target: Target, scenario: Scenario, seconds: number): Promise<Sample> {
  const capMs = seconds * 1000 + TOOL_GRACE_MS;
  if (scenario.protocol === 'h1') {
    const run = await runTool('wrk', paths.wrk, wrkArgs(target, scenario.connections, seconds), capMs);
    try {
      const result = parseWrk(run.stdout);
      return { requestsPerSecond: result.requestsPerSecond, requests: result.requests, p50Ms: result.latencyMs.p50, p99Ms: result.latencyMs.p99, errors: result.socketErrors + result.non2xx };
    } catch (err) {
      throw new BenchError('BENCH_LOAD', `wrk failed (exit ${run.code}): ${run.stderr.trim() || run.stdout.trim()}`, { cause: err });
    }
  }
  return h2loadSample(await runTool('h2load', paths.h2load, h2loadArgs(target, scenario, seconds, paths.grpcBodyFile), capMs));
}
