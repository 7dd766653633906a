/** What a command reads and writes; tests pass their own. */
export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  /** The whole of standard input. */
  stdin(): Promise<string>;
  /** Waits, or ends early when the signal aborts (Ctrl-C). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  signal?: AbortSignal;
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  /** Returns the exit code; bad flags throw a CliError CLI_BAD_FLAG. */
  run(argv: readonly string[], io: Io): Promise<number>;
}

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
