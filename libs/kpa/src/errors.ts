export type KpaErrorCode = 'KPA_BAD_CASE_FILE' | 'KPA_BAD_DURATION';

/** Errors of this library, with a stable code. */
export class KpaError extends Error {
  readonly code: KpaErrorCode;

  constructor(code: KpaErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KpaError';
    this.code = code;
  }
}
