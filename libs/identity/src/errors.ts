export type IdentityErrorCode =
  /** A name that is not `<sa>.<ns>.serviceaccount.identity.<trust-domain>` or has a bad DNS-1123 label. */
  | 'IDENTITY_BAD_NAME'
  /** A CSR that does not parse, has a bad signature or an unsupported key or name form. */
  | 'IDENTITY_BAD_CSR'
  /** The CSR, the requested identity and the token's ServiceAccount do not all name the same identity. */
  | 'IDENTITY_NAME_MISMATCH'
  /** A token that does not parse, has a bad signature or does not name a ServiceAccount. */
  | 'IDENTITY_TOKEN_INVALID'
  /** A token past its expiry (or not yet valid). */
  | 'IDENTITY_TOKEN_EXPIRED'
  /** A token issued for another audience. */
  | 'IDENTITY_TOKEN_AUDIENCE'
  /** Trust anchors, issuer certificate or issuer key that are unusable or do not fit together. */
  | 'IDENTITY_BAD_CA'
  /** A certificate handed back by the identity service that does not fit the request or the trust anchors. */
  | 'IDENTITY_BAD_CERTIFICATE'
  /** An option out of range. */
  | 'IDENTITY_BAD_OPTION';

export class IdentityError extends Error {
  override readonly name = 'IdentityError';
  constructor(
    readonly code: IdentityErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isIdentityError(error: unknown, code?: IdentityErrorCode): error is IdentityError {
  return error instanceof IdentityError && (code === undefined || error.code === code);
}
