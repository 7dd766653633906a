export type DiscoveryErrorCode = 'FIRST_MESSAGE_TIMEOUT' | 'STREAM_ENDED';

export class DiscoveryError extends Error {
  override readonly name = 'DiscoveryError';
  constructor(
    readonly code: DiscoveryErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
