import { status } from '@grpc/grpc-js';
import { IdentityError, type IdentityErrorCode } from '@trellis/identity';
import { IdentityServiceError, type IdentityServiceErrorCode } from './errors';

export interface Refusal {
  code: status;
  /** The `reason` label of identity_certify_refusals_total: stable, low-cardinality. */
  reason: string;
  details: string;
}

type Code = IdentityErrorCode | IdentityServiceErrorCode;

const REFUSALS: Record<Code, { code: status; reason: string }> = {
  IDENTITY_TOKEN_INVALID: { code: status.UNAUTHENTICATED, reason: 'token_invalid' },
  IDENTITY_TOKEN_EXPIRED: { code: status.UNAUTHENTICATED, reason: 'token_expired' },
  IDENTITY_TOKEN_AUDIENCE: { code: status.UNAUTHENTICATED, reason: 'token_audience' },
  IDENTITY_NAME_MISMATCH: { code: status.PERMISSION_DENIED, reason: 'name_mismatch' },
  IDENTITY_BAD_CSR: { code: status.INVALID_ARGUMENT, reason: 'bad_csr' },
  IDENTITY_BAD_NAME: { code: status.INVALID_ARGUMENT, reason: 'bad_identity' },
  IDENTITY_BAD_REQUEST: { code: status.INVALID_ARGUMENT, reason: 'bad_request' },
  IDENTITY_REVIEW_UNAVAILABLE: { code: status.UNAVAILABLE, reason: 'review_unavailable' },
  IDENTITY_OVERLOADED: { code: status.RESOURCE_EXHAUSTED, reason: 'overloaded' },
  IDENTITY_SHUTTING_DOWN: { code: status.UNAVAILABLE, reason: 'shutting_down' },
  IDENTITY_BAD_CA: { code: status.FAILED_PRECONDITION, reason: 'issuer' },
  IDENTITY_BAD_CERTIFICATE: { code: status.INTERNAL, reason: 'internal' },
  IDENTITY_BAD_OPTION: { code: status.INTERNAL, reason: 'internal' },
  IDENTITY_BAD_FLAG: { code: status.INTERNAL, reason: 'internal' },
};

/** The one place that turns an error into the gRPC status a proxy sees and the reason a metric counts. */
export function toRefusal(err: unknown): Refusal {
  if (err instanceof IdentityError || err instanceof IdentityServiceError) {
    const { code, reason } = REFUSALS[err.code];
    return { code, reason, details: reason === 'internal' ? 'internal error' : err.message };
  }
  return { code: status.INTERNAL, reason: 'internal', details: 'internal error' };
}
