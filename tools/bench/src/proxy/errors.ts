/** A failure of the proxy benchmark harness, with a stable code for the caller to branch on. */
export class BenchError extends Error {
  constructor(
    readonly code: 'BENCH_PARSE' | 'BENCH_ARGS' | 'BENCH_TOOLS' | 'BENCH_START' | 'BENCH_LOAD' | 'BENCH_VERIFY' | 'BENCH_TIMING',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'BenchError';
  }
}
