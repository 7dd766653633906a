/** A bad setting found at start: names the variable so the operator can fix it. Exit code 2. */
export class ConfigError extends Error {
  readonly code = 'TRELLIS_CONFIG_INVALID';
  constructor(
    readonly variable: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${variable}: ${message}`, options);
    this.name = 'ConfigError';
  }
}
