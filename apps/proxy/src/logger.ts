import { pino, type Logger } from 'pino';

export type { Logger };

/** Log level used when TRELLIS_LOG_LEVEL is unset (pino's own default). */
export const DEFAULT_LOG_LEVEL = 'info';

const LOG_LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/** The one process logger: JSON lines on stdout, shared by the inbound and outbound roles. */
export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  const level = options.level ?? DEFAULT_LOG_LEVEL;
  if (!LOG_LEVELS.has(level)) throw new Error(`unknown log level "${level}"`);
  return pino({ level, name: options.name ?? 'trellis-proxy', base: { pid: process.pid } });
}
