export type DestinationErrorCode =
  | 'DST_BAD_AUTHORITY'
  | 'DST_BAD_PROFILE'
  | 'DST_BAD_TARGET'
  | 'DST_NOT_FOUND'
  | 'DST_STREAM_OVERFLOW'
  | 'DST_SHUTTING_DOWN'
  | 'DST_BAD_FLAG'
  | 'DST_INTERNAL';

/** Every error the destination service raises; `code` is stable, `message` is for people. */
export class DestinationError extends Error {
  readonly code: DestinationErrorCode;

  constructor(code: DestinationErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DestinationError';
    this.code = code;
  }
}
