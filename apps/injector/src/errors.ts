export type InjectorErrorCode = 'INJECTOR_BAD_FLAG' | 'INJECTOR_BAD_TLS';

/** Errors of the injector app, with a stable code. */
export class InjectorError extends Error {
  readonly code: InjectorErrorCode;

  constructor(code: InjectorErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InjectorError';
    this.code = code;
  }
}
