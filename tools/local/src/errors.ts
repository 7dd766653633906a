export type LocalErrorCode =
  | 'LOCAL_BAD_FLAG'
  | 'LOCAL_BAD_DEPLOYMENT'
  | 'LOCAL_NO_ADDRESS'
  | 'LOCAL_SPAWN_FAILED'
  | 'LOCAL_NOT_BUILT'
  | 'LOCAL_ABORTED';

/** Errors of the local-mode tools, with stable codes. */
export class LocalError extends Error {
  override readonly name = 'LocalError';

  constructor(
    readonly code: LocalErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
