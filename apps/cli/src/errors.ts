export type CliErrorCode = 'CLI_BAD_FLAG' | 'CLI_BAD_INPUT' | 'CLI_UNREACHABLE';

/** Errors of the CLI, with a stable code; CLI_BAD_FLAG exits 2, the others 1. */
export class CliError extends Error {
  readonly code: CliErrorCode;

  constructor(code: CliErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CliError';
    this.code = code;
  }
}
