export type InjectErrorCode = 'INJECT_BAD_ANNOTATION' | 'INJECT_BAD_OBJECT' | 'INJECT_BAD_YAML' | 'INJECT_BAD_REVIEW';

/** Errors of the injection, with a stable code. */
export class InjectError extends Error {
  readonly code: InjectErrorCode;

  constructor(code: InjectErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InjectError';
    this.code = code;
  }
}
