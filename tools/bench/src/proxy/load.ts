import { BenchError } from './errors';
import { parseH2load } from './h2load-output';
import { runTool } from './processes';
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

export async function measure(paths: LoadPaths, target: Target, scenario: Scenario, seconds: number): Promise<Sample> {
  const capMs = seconds * 1000 + TOOL_GRACE_MS;
  if (scenario.protocol === 'h1') {
    const run = await runTool('wrk', paths.wrk, wrkArgs(target, scenario.connections, seconds), capMs);
    try {
      const result = parseWrk(run.stdout);
      return { requestsPerSecond: result.requestsPerSecond, p50Ms: result.latencyMs.p50, p99Ms: result.latencyMs.p99, errors: result.socketErrors + result.non2xx };
    } catch (err) {
      throw new BenchError('BENCH_LOAD', `wrk failed (exit ${run.code}): ${run.stderr.trim() || run.stdout.trim()}`, { cause: err });
    }
  }
  const run = await runTool('h2load', paths.h2load, h2loadArgs(target, scenario, seconds, paths.grpcBodyFile), capMs);
  try {
    const result = parseH2load(run.stdout);
    if (result.succeeded === 0) throw new BenchError('BENCH_LOAD', 'h2load: no request succeeded');
    return {
      requestsPerSecond: result.requestsPerSecond,
      meanMs: result.latencyMs.mean,
      errors: result.failed + result.errored + result.status4xx + result.status5xx,
    };
  } catch (err) {
    const tail = `${run.stdout}\n${run.stderr}`.trim().split('\n').slice(-3).join(' | ');
    throw new BenchError('BENCH_LOAD', `h2load failed (exit ${run.code}): ${tail}`, { cause: err });
  }
}
