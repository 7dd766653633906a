export type VizErrorCode = 'VIZ_UNREACHABLE' | 'VIZ_TOO_LARGE';

/** Errors of reading a metrics endpoint, with a stable code. */
export class VizError extends Error {
  readonly code: VizErrorCode;

  constructor(code: VizErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'VizError';
    this.code = code;
  }
}
