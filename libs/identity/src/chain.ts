import { X509Certificate } from 'node:crypto';
import { IdentityError } from './errors';

/** Longest chain walked from a leaf to an anchor, certificates. Source: ours (Linkerd uses one issuer). */
const MAX_CHAIN_LENGTH = 8;

export function parseCertificate(der: Uint8Array, what: string): X509Certificate {
  try {
    return new X509Certificate(der);
  } catch (error) {
    throw new IdentityError('IDENTITY_BAD_CERTIFICATE', `${what} is not an X.509 certificate`, { cause: error });
  }
}

function isValidAt(cert: X509Certificate, nowMs: number): boolean {
  return Date.parse(cert.validFrom) <= nowMs && nowMs <= Date.parse(cert.validTo);
}

function signedBy(child: X509Certificate, parent: X509Certificate): boolean {
  return parent.ca && child.checkIssued(parent) && child.verify(parent.publicKey);
}

/**
 * Checks that `cert` chains through `intermediates` (any order) to one of `anchors`, every link signed by a CA
 * certificate and valid at `nowMs`. Returns the anchor; throws `code` (IDENTITY_BAD_CERTIFICATE by default) with
 * the first problem found.
 */
export function verifyChain(
  cert: X509Certificate,
  intermediates: readonly X509Certificate[],
  anchors: readonly X509Certificate[],
  nowMs: number,
  code: 'IDENTITY_BAD_CERTIFICATE' | 'IDENTITY_BAD_CA' = 'IDENTITY_BAD_CERTIFICATE',
): X509Certificate {
  let current = cert;
  for (let depth = 0; depth < MAX_CHAIN_LENGTH; depth++) {
    if (!isValidAt(current, nowMs)) {
      throw new IdentityError(
        code,
        `certificate ${current.subject} is not valid now (valid ${current.validFrom} to ${current.validTo})`,
      );
    }
    const anchor = anchors.find((a) => signedBy(current, a));
    if (anchor) {
      if (!isValidAt(anchor, nowMs)) {
        throw new IdentityError(code, `trust anchor ${anchor.subject} is not valid now (until ${anchor.validTo})`);
      }
      return anchor;
    }
    const parent = intermediates.find((i) => i !== current && signedBy(current, i));
    if (!parent) {
      throw new IdentityError(code, `certificate ${current.subject} does not chain to a trust anchor`);
    }
    current = parent;
  }
  throw new IdentityError(code, `the chain is longer than ${MAX_CHAIN_LENGTH} certificates`);
}
