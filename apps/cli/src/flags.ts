import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CliError } from './errors';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

/** Flags every command takes. */
export const COMMON_OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  output: { type: 'string', short: 'o' },
} as const satisfies OptionSpec;

export type OutputFormat = 'table' | 'json';

/**
 * Parses one command's flags strictly: an unknown flag or a missing value is one clear line (a CliError
 * CLI_BAD_FLAG, exit 2), not Node's multi-sentence message.
 */
export function parseFlags<T extends OptionSpec>(command: string, argv: readonly string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args: [...argv], options: { ...COMMON_OPTIONS, ...options }, strict: true, allowPositionals });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const flag = /'(-[^']*)'/.exec(message)?.[1];
    const code = (err as { code?: string }).code;
    const what =
      code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? `unknown flag ${flag}`
      : code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' ? `flag ${flag?.split(' ')[0]} needs a value`
      : code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL' ? `unexpected argument ${flag ?? /'([^']*)'/.exec(message)?.[1] ?? ''}`.trim()
      : message.split('. ')[0];
    throw new CliError('CLI_BAD_FLAG', `trellis ${command}: ${what} (see trellis ${command} --help)`, { cause: err });
  }
}

export function outputFormat(command: string, raw: string | undefined): OutputFormat {
  if (raw === undefined || raw === 'table' || raw === 'wide') return 'table';
  if (raw === 'json') return 'json';
  throw new CliError('CLI_BAD_FLAG', `trellis ${command}: -o must be table or json, got "${raw}"`);
}

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m)$/;
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000 };

/** A duration like `10s`, `500ms` or `1m`, in milliseconds, within [minMs, maxMs]. */
export function durationMs(command: string, flag: string, raw: string | undefined, fallbackMs: number, minMs: number, maxMs: number): number {
  if (raw === undefined) return fallbackMs;
  const m = DURATION.exec(raw);
  const ms = m ? Number(m[1]) * (UNIT_MS[m[2] ?? 's'] ?? 1000) : NaN;
  if (!(ms >= minMs && ms <= maxMs)) {
    throw new CliError('CLI_BAD_FLAG', `trellis ${command}: --${flag} must be a duration like 10s or 1m between ${minMs / 1000}s and ${maxMs / 1000}s, got "${raw}"`);
  }
  return ms;
}

/** A `host:port` address (IPv6 in brackets). */
export function hostPort(command: string, flag: string, raw: string): string {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(raw);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65_535) {
    throw new CliError('CLI_BAD_FLAG', `trellis ${command}: --${flag} must be host:port, got "${raw}"`);
  }
  return raw;
}
