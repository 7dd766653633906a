/** The ServiceAccount a token proves. */
export interface TokenSubject {
  namespace: string;
  serviceAccount: string;
}

/**
 * Proves who a caller is from its token. `validate` rejects with IdentityError (IDENTITY_TOKEN_INVALID,
 * IDENTITY_TOKEN_EXPIRED, IDENTITY_TOKEN_AUDIENCE) for a bad token and with IdentityServiceError
 * IDENTITY_REVIEW_UNAVAILABLE when it cannot tell.
 */
export interface TokenValidator {
  readonly kind: 'kubernetes' | 'local';
  validate(token: string): Promise<TokenSubject>;
}
