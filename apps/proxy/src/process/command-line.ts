import { parseGoDuration } from '@trellis/kpa';

/** Ours: a probe period or file age beyond an hour is a typo, not a setting. */
export const MAX_PROBE_DURATION_MS = 3_600_000;
/** Ours: how old the probed file may be when `--max-age` is not given. */
export const DEFAULT_FILE_MAX_AGE_MS = 30_000;

/** What the command line asks for: serve (the default, configured by environment), help, or one exec probe. */
export type Command =
  | { readonly kind: 'serve' }
  | { readonly kind: 'help' }
  | { readonly kind: 'probe-ready'; readonly periodMs: number }
  | { readonly kind: 'probe-file'; readonly path: string; readonly maxAgeMs: number }
  | { readonly kind: 'error'; readonly message: string };

/** The flags a probe takes; Go's flag package (and so Knative's `-probe-period`) accepts one dash or two. */
const VALUE_FLAGS = new Set(['probe-period', 'probe-file', 'max-age']);

function duration(flag: string, text: string): number | string {
  let ms: number;
  try {
    ms = parseGoDuration(text);
  } catch {
    return `--${flag}: "${text}" is not a duration (e.g. 10s, 500ms, 1m)`;
  }
  if (ms <= 0 || ms > MAX_PROBE_DURATION_MS) return `--${flag}: ${text} is out of range (above 0, at most 1h)`;
  return ms;
}

/** Splits `-flag value`, `--flag value` and `--flag=value` into a map; the first problem is returned as a string. */
function flags(args: readonly string[]): Map<string, string> | string {
  const found = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const match = /^--?([a-z-]+)(?:=(.*))?$/.exec(arg);
    const name = match?.[1];
    if (name === undefined || !VALUE_FLAGS.has(name)) {
      return `unexpected argument ${arg} (the proxy is configured by environment; see --help)`;
    }
    const value = match?.[2] ?? args[++i];
    if (value === undefined || value === '') return `--${name} needs a value (see --help)`;
    if (found.has(name)) return `--${name} is given twice`;
    found.set(name, value);
  }
  return found;
}

export function parseCommandLine(args: readonly string[]): Command {
  if (args.length === 0) return { kind: 'serve' };
  if (args.length === 1 && (args[0] === '--help' || args[0] === '-h')) return { kind: 'help' };
  const parsed = flags(args);
  if (typeof parsed === 'string') return { kind: 'error', message: parsed };
  const period = parsed.get('probe-period');
  const file = parsed.get('probe-file');
  const maxAge = parsed.get('max-age');
  if (period !== undefined) {
    if (file !== undefined || maxAge !== undefined) return { kind: 'error', message: '--probe-period cannot be combined with --probe-file or --max-age' };
    const periodMs = duration('probe-period', period);
    return typeof periodMs === 'string' ? { kind: 'error', message: periodMs } : { kind: 'probe-ready', periodMs };
  }
  if (file === undefined) return { kind: 'error', message: '--max-age needs --probe-file (see --help)' };
  const maxAgeMs = maxAge === undefined ? DEFAULT_FILE_MAX_AGE_MS : duration('max-age', maxAge);
  return typeof maxAgeMs === 'string' ? { kind: 'error', message: maxAgeMs } : { kind: 'probe-file', path: file, maxAgeMs };
}

export function commandLineHelp(): string {
  return [
    'Usage: trellis-proxy                      serve (configured by the environment below)',
    '       trellis-proxy --probe-period 10s   exec readiness probe: polls the local admin /ready until it answers',
    '                                          200 (exit 0) or the period ends (exit 1), as Knative\'s queue-proxy',
    '                                          -probe-period (one dash works too)',
    '       trellis-proxy --probe-file PATH [--max-age 30s]',
    '                                          exec liveness probe: exit 0 when PATH was modified within max-age',
    '                                          (default 30s), else 1 with the reason on stderr',
  ].join('\n');
}
