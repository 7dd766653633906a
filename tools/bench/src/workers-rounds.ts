import { parseArgs } from 'node:util';
import { rotate, summarize, type Summary } from './proxy/stats';

/** The proxy set-ups workers-bench compares: supervisor + 1 worker and + 2 workers always, one process on request. */
export const WORKER_VARIANTS = [
  { id: 'workers-1', label: 'supervisor + 1 worker', workers: '1' },
  { id: 'workers-2', label: 'supervisor + 2 workers', workers: '2' },
] as const;
export const SINGLE_VARIANT = { id: 'single', label: 'one process (TRELLIS_PROXY_WORKERS unset)', workers: undefined } as const;

export type Variant = (typeof WORKER_VARIANTS)[number] | typeof SINGLE_VARIANT;

export interface WorkersBenchFlags {
  readonly rounds: number;
  readonly duration: number;
  readonly connections: number;
  /** wrk and nginx on LOAD_CPU (taskset); the proxy and its workers stay on every CPU. */
  readonly pin: boolean;
  /** Also measure the proxy as one process (no supervisor). */
  readonly withSingle: boolean;
  /** Print the usage and exit. */
  readonly help: boolean;
}

export const WORKERS_BENCH_USAGE = 'workers-bench [--rounds 6] [--duration 10] [--connections 50] [--pin] [--with-single] [--help]';

/** Parses the command line; throws with a message naming the flag on anything else. */
export function parseWorkersBenchFlags(args: readonly string[]): WorkersBenchFlags {
  const { values } = parseArgs({
    args: [...args],
    options: {
      rounds: { type: 'string', default: '6' },
      duration: { type: 'string', default: '10' },
      connections: { type: 'string', default: '50' },
      pin: { type: 'boolean', default: false },
      'with-single': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const integer = (name: 'rounds' | 'duration' | 'connections', max: number) => {
    const text = values[name] ?? '';
    const v = Number(text);
    if (!/^\d+$/.test(text) || !Number.isInteger(v) || v < 1 || v > max) throw new Error(`--${name} must be an integer from 1 to ${max}, not "${text}"`);
    return v;
  };
  return {
    rounds: integer('rounds', 50),
    duration: integer('duration', 600),
    connections: integer('connections', 1_000),
    pin: values.pin ?? false,
    withSingle: values['with-single'] ?? false,
    help: values.help ?? false,
  };
}

/** The variants of round `round` (0-based), in the order they run: rotated each round (AB, BA, ...), so drift in the machine's load does not favour one. */
export function roundOrder(variants: readonly Variant[], round: number): Variant[] {
  return rotate(variants, round);
}

/** Requests per second of each variant in one round, by variant id. */
export type Round = ReadonlyMap<string, number>;

/**
 * One ratio per round, `numerator` over `denominator` measured in that same round (back to back, so both saw the
 * same neighbours); rounds where either is missing or not positive are left out.
 */
export function pairedRatios(rounds: readonly Round[], numerator: string, denominator: string): number[] {
  const ratios: number[] = [];
  for (const round of rounds) {
    const top = round.get(numerator);
    const bottom = round.get(denominator);
    if (top === undefined || bottom === undefined || !(top > 0) || !(bottom > 0)) continue;
    ratios.push(top / bottom);
  }
  return ratios;
}

/** "median 1.05× (min 0.98×, max 1.12×, 6 rounds)", or a note that no round had both variants. */
export function describeRatios(ratios: readonly number[]): string {
  const s: Summary | undefined = summarize(ratios);
  if (s === undefined) return 'no round measured both variants';
  return `median ${s.median.toFixed(2)}× (min ${s.min.toFixed(2)}×, max ${s.max.toFixed(2)}×, ${s.count} round${s.count === 1 ? '' : 's'})`;
}
