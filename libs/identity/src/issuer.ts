import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { verifyChain } from './chain';
import { IdentityError } from './errors';
import { importSigningKey } from './keys';
import type { CryptoKey } from './types';
import { certificatesFromPem, parseTrustAnchors } from './pem';

/** What the identity service signs with: loaded once from files, immutable. */
export interface Issuer {
  /** The issuer's own certificate, then any intermediates between it and an anchor (leaf side first). */
  readonly chainDer: readonly Uint8Array[];
  readonly certificate: X509Certificate;
  readonly signingKey: CryptoKey;
  readonly trustAnchors: readonly X509Certificate[];
  /** The anchors as given, PEM, for the proxies. */
  readonly trustAnchorsPem: string;
}

export interface IssuerFiles {
  /** PEM: the issuer certificate first, optionally followed by intermediates up to (not including) an anchor. */
  certificatePem: string;
  /** PEM private key of the issuer certificate (PKCS#8 or SEC1 EC, P-256). */
  keyPem: string;
  /** PEM bundle of one or more trust anchors. */
  trustAnchorsPem: string;
}

function sameSpki(keyPem: string, certificate: X509Certificate): boolean {
  try {
    const fromKey = createPublicKey(createPrivateKey(keyPem)).export({ type: 'spki', format: 'der' });
    const fromCert = certificate.publicKey.export({ type: 'spki', format: 'der' });
    return fromKey.equals(fromCert);
  } catch {
    return false;
  }
}

/**
 * Loads and checks the issuer: a CA certificate whose key is the given one and that chains to one of the anchors
 * at `nowMs`. Every problem is IDENTITY_BAD_CA with a message that names it.
 */
export async function loadIssuer(files: IssuerFiles, nowMs: number): Promise<Issuer> {
  const trustAnchors = parseTrustAnchors(files.trustAnchorsPem);
  const chain = certificatesFromPem(files.certificatePem, 'the issuer certificate');
  const [certificate, ...intermediates] = chain as [X509Certificate, ...X509Certificate[]];
  if (!certificate.ca) {
    throw new IdentityError('IDENTITY_BAD_CA', `the issuer certificate ${certificate.subject} is not a CA (basicConstraints)`);
  }
  const signingKey = await importSigningKey(files.keyPem);
  if (!sameSpki(files.keyPem, certificate)) {
    throw new IdentityError('IDENTITY_BAD_CA', 'the issuer key does not belong to the issuer certificate');
  }
  verifyChain(certificate, intermediates, trustAnchors, nowMs, 'IDENTITY_BAD_CA');
  return {
    chainDer: chain.map((c) => new Uint8Array(c.raw)),
    certificate,
    signingKey,
    trustAnchors,
    trustAnchorsPem: files.trustAnchorsPem,
  };
}
