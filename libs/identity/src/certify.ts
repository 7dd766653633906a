import { verifyCsr } from './csr';
import { IdentityError } from './errors';
import type { Issuer } from './issuer';
import { issueLeaf, type IssuedLeaf, type LeafOptions } from './leaf';

export interface CertifyInput {
  /** CertifyRequest.identity: what the caller asks for. */
  requestedIdentity: string;
  /** The identity its token proves (from a TokenReview or a local token). */
  provenIdentity: string;
  csrDer: Uint8Array;
}

/**
 * The identity service's decision, without I/O: the requested identity must be the proven one, the CSR must be
 * well-formed and name that identity only; then a leaf is issued. Throws IdentityError (IDENTITY_NAME_MISMATCH,
 * IDENTITY_BAD_CSR, IDENTITY_BAD_CA).
 */
export async function certify(issuer: Issuer, input: CertifyInput, options: LeafOptions): Promise<IssuedLeaf> {
  if (input.requestedIdentity !== input.provenIdentity) {
    throw new IdentityError(
      'IDENTITY_NAME_MISMATCH',
      `requested identity ${JSON.stringify(input.requestedIdentity)} is not the token's ${JSON.stringify(input.provenIdentity)}`,
    );
  }
  const publicKey = await verifyCsr(input.csrDer, input.provenIdentity);
  return issueLeaf(issuer, input.provenIdentity, publicKey, options);
}
