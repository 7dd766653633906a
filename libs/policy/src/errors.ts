/**
 * Why a policy was refused. The caller logs the reason, counts it by code and keeps the last valid
 * policy in force: a bad update never crashes the proxy and never opens it by accident.
 */
export type PolicyErrorCode =
  | 'INVALID_CIDR'
  | 'INVALID_RATE'
  | 'INVALID_AUTHORIZATION'
  | 'INVALID_ROUTE'
  | 'INVALID_SERVER'
  | 'UNKNOWN_DEFAULT_POLICY';

export class PolicyError extends Error {
  override readonly name = 'PolicyError';
  constructor(
    readonly code: PolicyErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
