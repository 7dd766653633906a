import type { X509Certificate } from 'node:crypto';
import { parseCertificate, verifyChain } from './chain';
import { IdentityError } from './errors';

export interface CertifiedLeaf {
  leaf: X509Certificate;
  intermediates: X509Certificate[];
  notBefore: Date;
  notAfter: Date;
}

function dnsNames(cert: X509Certificate): string[] {
  // Node renders SANs as `DNS:a, DNS:b`; an identity is a DNS-1123 name, so it holds no comma or quote.
  return (cert.subjectAltName ?? '')
    .split(', ')
    .filter((entry) => entry.startsWith('DNS:'))
    .map((entry) => entry.slice('DNS:'.length));
}

/**
 * What a proxy checks in a CertifyResponse before it uses it: the leaf is for `identity` (SAN DNS), holds the
 * proxy's own public key, and chains through the intermediates to one of the trust anchors at `nowMs`.
 * Throws IDENTITY_BAD_CERTIFICATE.
 */
export function checkCertified(
  response: { leafDer: Uint8Array; intermediatesDer: readonly Uint8Array[] },
  expected: { identity: string; publicKeySpkiDer: Uint8Array; trustAnchors: readonly X509Certificate[] },
  nowMs: number,
): CertifiedLeaf {
  const leaf = parseCertificate(response.leafDer, 'the leaf certificate');
  const intermediates = response.intermediatesDer.map((der, i) => parseCertificate(der, `intermediate #${i + 1}`));
  if (!dnsNames(leaf).includes(expected.identity)) {
    throw new IdentityError(
      'IDENTITY_BAD_CERTIFICATE',
      `the leaf names ${leaf.subjectAltName ?? 'nothing'}, not DNS:${expected.identity}`,
    );
  }
  const leafKey = leaf.publicKey.export({ type: 'spki', format: 'der' });
  if (!leafKey.equals(expected.publicKeySpkiDer)) {
    throw new IdentityError('IDENTITY_BAD_CERTIFICATE', 'the leaf certifies another public key than ours');
  }
  verifyChain(leaf, intermediates, expected.trustAnchors, nowMs);
  return { leaf, intermediates, notBefore: new Date(leaf.validFrom), notAfter: new Date(leaf.validTo) };
}
