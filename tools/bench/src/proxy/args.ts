import { statSync } from 'node:fs';
import path from 'node:path';
import { BenchError } from './errors';
import { SCENARIOS, type ScenarioId } from './results';

export interface BenchArgs {
  readonly runs: number;
  readonly durationSeconds: number;
  readonly warmupSeconds: number;
  readonly out: string;
  /** Variant ids to run (direct always runs); empty means all. */
  readonly only: readonly string[];
  readonly build: boolean;
  /** Free-text notes copied into the report (e.g. what else ran on the machine). */
  readonly notes: readonly string[];
  /** Options for node itself when it runs a Trellis proxy (e.g. --optimize-for-size), before the bundle path. */
  readonly proxyNodeOptions: readonly string[];
  /** Absolute path of another proxy bundle to measure next to the current build (--baseline-proxy). */
  readonly baselineProxy?: string;
  /** The scenarios to measure, in SCENARIOS order (--scenarios; all by default). */
  readonly scenarios: readonly ScenarioId[];
  /** Time requests inside the Node proxies, at their sockets (--time-in-proxy). */
  readonly timeInProxy: boolean;
}

export const DEFAULT_RUNS = 3;
export const DEFAULT_DURATION_S = 10;
export const DEFAULT_WARMUP_S = 2;
export const QUICK_RUNS = 1;
export const QUICK_DURATION_S = 3;
export const QUICK_WARMUP_S = 1;
export const MAX_RUNS = 20;
export const MAX_DURATION_S = 120;
export const DEFAULT_OUT = 'docs/benchmarks/proxy.md';

const SCENARIO_IDS = SCENARIOS.map((s) => s.id);

export const USAGE = `usage: proxy-bench [--quick] [--runs N] [--duration SECONDS] [--out FILE.md] [--only id,id] [--scenarios id,id] [--no-build] [--baseline-proxy FILE.js] [--time-in-proxy]
  --quick       ${QUICK_RUNS} run of ${QUICK_DURATION_S} s per measurement (unless --runs/--duration say otherwise)
  --runs        interleaved rounds (default ${DEFAULT_RUNS}, at most ${MAX_RUNS})
  --duration    seconds per measurement (default ${DEFAULT_DURATION_S}, at most ${MAX_DURATION_S})
  --out         Markdown report; the SVG chart goes next to it with the .svg extension (default ${DEFAULT_OUT})
  --only        comma-separated variant ids to run besides direct
  --scenarios   comma-separated scenarios to measure (default all: ${SCENARIO_IDS.join(', ')}); without an HTTP/1.1
                scenario the HTTP/1.1 check and the fixed-rate RSS run are skipped too
  --no-build    use the existing dist/ bundles of the proxy, destination and identity services instead of building them
  --note        a line of text for the report (repeatable)
  --proxy-node-option
                an option for node when it runs a Trellis proxy, e.g. --optimize-for-size (repeatable)
  --baseline-proxy
                a proxy bundle (e.g. another checkout's dist/apps/proxy/main.js) to measure next to the current build:
                each Trellis variant run gets a <id>-baseline twin running it, in the same rounds
  --time-in-proxy
                time each HTTP/1.1 request inside the Node proxies (Trellis and the Node peers) at their sockets, split
                into the wait on the backend and the proxy's own time, to tell a proxy's latency from the machine's`;

/** Checked now: a typo would otherwise surface minutes into the run as a skipped variant. */
function existingBundle(flag: string, value: string | undefined): string {
  if (!value?.endsWith('.js')) throw new BenchError('BENCH_ARGS', `${flag} needs the path of a proxy bundle ending in .js, got "${value ?? ''}"`);
  const absolute = path.resolve(value);
  let isFile = false;
  try {
    isFile = statSync(absolute).isFile();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new BenchError('BENCH_ARGS', `${flag}: cannot read ${absolute} (${code})`, { cause: err });
  }
  if (!isFile) throw new BenchError('BENCH_ARGS', `${flag}: ${absolute} is not a file`);
  return absolute;
}

/** The named scenarios in SCENARIOS order; unknown names are refused. */
function scenarioList(value: string | undefined): ScenarioId[] {
  const names = (value ?? '').split(',').map((id) => id.trim()).filter((id) => id !== '');
  const unknown = names.filter((id) => !(SCENARIO_IDS as readonly string[]).includes(id));
  if (names.length === 0 || unknown.length > 0) {
    throw new BenchError('BENCH_ARGS', `--scenarios needs a comma-separated list of ${SCENARIO_IDS.join(', ')}, got "${value ?? ''}"`);
  }
  return SCENARIO_IDS.filter((id) => names.includes(id));
}

function integer(flag: string, value: string | undefined, min: number, max: number): number {
  if (value === undefined || !/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new BenchError('BENCH_ARGS', `${flag} needs an integer between ${min} and ${max}, got "${value ?? ''}"`);
  }
  return Number(value);
}

export function parseArgs(argv: readonly string[]): BenchArgs {
  let quick = false;
  let runs: number | undefined;
  let duration: number | undefined;
  let out = DEFAULT_OUT;
  let only: string[] = [];
  let build = true;
  const notes: string[] = [];
  const proxyNodeOptions: string[] = [];
  let baselineProxy: string | undefined;
  let scenarios: ScenarioId[] = SCENARIO_IDS;
  let timeInProxy = false;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    switch (flag) {
      case '--':
        break;
      case '--quick':
        quick = true;
        break;
      case '--no-build':
        build = false;
        break;
      case '--runs':
        runs = integer(flag, argv[++i], 1, MAX_RUNS);
        break;
      case '--duration':
        duration = integer(flag, argv[++i], 1, MAX_DURATION_S);
        break;
      case '--out': {
        const value = argv[++i];
        if (!value?.endsWith('.md')) throw new BenchError('BENCH_ARGS', `--out needs a path ending in .md, got "${value ?? ''}"`);
        out = value;
        break;
      }
      case '--only': {
        const value = argv[++i];
        if (!value) throw new BenchError('BENCH_ARGS', '--only needs a comma-separated list of variant ids');
        only = value.split(',').map((id) => id.trim()).filter((id) => id !== '');
        break;
      }
      case '--scenarios':
        scenarios = scenarioList(argv[++i]);
        break;
      case '--note': {
        const value = argv[++i];
        if (!value) throw new BenchError('BENCH_ARGS', '--note needs a text');
        notes.push(value);
        break;
      }
      case '--proxy-node-option': {
        const value = argv[++i];
        if (!value?.startsWith('--')) throw new BenchError('BENCH_ARGS', `--proxy-node-option needs a node option starting with --, got "${value ?? ''}"`);
        proxyNodeOptions.push(value);
        break;
      }
      case '--time-in-proxy':
        timeInProxy = true;
        break;
      case '--baseline-proxy':
        baselineProxy = existingBundle(flag, argv[++i]);
        break;
      default:
        throw new BenchError('BENCH_ARGS', `unknown argument "${flag}"\n${USAGE}`);
    }
  }
  return {
    runs: runs ?? (quick ? QUICK_RUNS : DEFAULT_RUNS),
    durationSeconds: duration ?? (quick ? QUICK_DURATION_S : DEFAULT_DURATION_S),
    warmupSeconds: quick ? QUICK_WARMUP_S : DEFAULT_WARMUP_S,
    out,
    only,
    build,
    notes,
    proxyNodeOptions,
    baselineProxy,
    scenarios,
    timeInProxy,
  };
}

export function svgPathFor(markdownPath: string): string {
  return markdownPath.replace(/\.md$/, '.svg');
}

/** An argument as a POSIX shell would need it typed, so the command in the report can be pasted back. */
export function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
