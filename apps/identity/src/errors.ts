export type IdentityServiceErrorCode =
  /** A bad command line or an unusable file named by it. */
  | 'IDENTITY_BAD_FLAG'
  /** A request missing a field or too large. */
  | 'IDENTITY_BAD_REQUEST'
  /** The token could not be reviewed (API server unreachable, refused the review, too slow). */
  | 'IDENTITY_REVIEW_UNAVAILABLE'
  /** Too many Certify calls at once. */
  | 'IDENTITY_OVERLOADED'
  /** The service is shutting down. */
  | 'IDENTITY_SHUTTING_DOWN';

/** Errors of the identity service itself; the certificate and token errors are @trellis/identity's IdentityError. */
export class IdentityServiceError extends Error {
  override readonly name = 'IdentityServiceError';
  constructor(
    readonly code: IdentityServiceErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
