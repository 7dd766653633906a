import { BenchError } from './errors';

export interface WrkResult {
  readonly requests: number;
  readonly requestsPerSecond: number;
  /** Percentiles from `wrk --latency`, in milliseconds. */
  readonly latencyMs: { readonly p50: number; readonly p75: number; readonly p90: number; readonly p99: number };
  readonly socketErrors: number;
  readonly non2xx: number;
}

// wrk prints durations with these suffixes (src/units.c, format_time_us).
const UNIT_MS: Readonly<Record<string, number>> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function durationToMs(text: string): number {
  const match = /^([\d.]+)(us|ms|s|m|h)$/.exec(text.trim());
  const factor = match ? UNIT_MS[match[2] ?? ''] : undefined;
  if (!match || factor === undefined) throw new BenchError('BENCH_PARSE', `not a wrk duration: "${text}"`);
  return Number(match[1]) * factor;
}

function percentile(text: string, pct: number): number {
  const match = new RegExp(`^\\s*${pct}%\\s+(\\S+)\\s*$`, 'm').exec(text);
  if (!match?.[1]) throw new BenchError('BENCH_PARSE', `wrk output has no ${pct}% latency line (was --latency given?)`);
  return durationToMs(match[1]);
}

/** Parses the text `wrk --latency` prints; throws BenchError BENCH_PARSE when the run produced no figures. */
export function parseWrk(text: string): WrkResult {
  const rate = /^Requests\/sec:\s+([\d.]+)\s*$/m.exec(text);
  const total = /^\s*(\d+) requests in /m.exec(text);
  if (!rate?.[1] || !total?.[1]) {
    const firstLine = text.trim().split('\n')[0] ?? '';
    throw new BenchError('BENCH_PARSE', `wrk produced no figures: ${firstLine}`);
  }
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(text);
  return {
    requests: Number(total[1]),
    requestsPerSecond: Number(rate[1]),
    latencyMs: { p50: percentile(text, 50), p75: percentile(text, 75), p90: percentile(text, 90), p99: percentile(text, 99) },
    socketErrors: socket ? socket.slice(1, 5).reduce((sum, n) => sum + Number(n), 0) : 0,
    non2xx: non2xx?.[1] ? Number(non2xx[1]) : 0,
  };
}
