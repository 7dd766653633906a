import { BenchError } from './errors';
import { durationToMs } from './wrk-output';

export interface H2loadResult {
  readonly requestsPerSecond: number;
  readonly total: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly errored: number;
  readonly status2xx: number;
  readonly status4xx: number;
  readonly status5xx: number;
  /** Per-request time (h2load "time for request"), in milliseconds; h2load prints no percentiles. */
  readonly latencyMs: { readonly min: number; readonly mean: number; readonly max: number };
}

/** Parses the summary h2load prints; throws BenchError BENCH_PARSE when it is missing. */
export function parseH2load(text: string): H2loadResult {
  const finished = /^finished in \S+, ([\d.]+) req\/s/m.exec(text);
  const requests = /^requests: (\d+) total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, (\d+) errored/m.exec(text);
  const status = /^status codes: (\d+) 2xx, \d+ 3xx, (\d+) 4xx, (\d+) 5xx/m.exec(text);
  const time = /^time for request:\s+(\S+)\s+(\S+)\s+(\S+)\s/m.exec(text);
  if (!finished?.[1] || !requests || !status?.[1] || !time) {
    const tail = text.trim().split('\n').slice(-1)[0] ?? '';
    throw new BenchError('BENCH_PARSE', `h2load produced no summary: ${tail}`);
  }
  return {
    requestsPerSecond: Number(finished[1]),
    total: Number(requests[1]),
    succeeded: Number(requests[2]),
    failed: Number(requests[3]),
    errored: Number(requests[4]),
    status2xx: Number(status[1]),
    status4xx: Number(status[2]),
    status5xx: Number(status[3]),
    latencyMs: { min: durationToMs(time[1] ?? ''), max: durationToMs(time[2] ?? ''), mean: durationToMs(time[3] ?? '') },
  };
}
