import { X509Certificate } from 'node:crypto';
import { IdentityError } from './errors';

// PEM is base64 of DER between BEGIN/END lines (RFC 7468); no ASN.1 is parsed here.

/** Base64 line width of PEM output. Source: RFC 7468 (64 characters). */
const PEM_LINE_CHARS = 64;
const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+?)-----END CERTIFICATE-----/g;

export function toPem(der: Uint8Array, label: string): string {
  const base64 = Buffer.from(der).toString('base64');
  const lines = base64.match(new RegExp(`.{1,${PEM_LINE_CHARS}}`, 'g')) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** One PEM `CERTIFICATE` block, newline-terminated. */
export function certificateToPem(der: Uint8Array): string {
  return toPem(der, 'CERTIFICATE');
}

/** The DER of each `CERTIFICATE` block of a PEM bundle, in order; other blocks are ignored. */
export function pemBundleToDer(pem: string): Uint8Array[] {
  return [...pem.matchAll(CERTIFICATE_BLOCK)].map((m) => new Uint8Array(Buffer.from((m[1] ?? '').replace(/\s+/g, ''), 'base64')));
}

/** Every certificate of a PEM bundle; throws IDENTITY_BAD_CA (naming `what`) when there is none or one is bad. */
export function certificatesFromPem(pem: string, what: string): X509Certificate[] {
  const ders = pemBundleToDer(pem);
  if (ders.length === 0) throw new IdentityError('IDENTITY_BAD_CA', `${what} holds no PEM CERTIFICATE block`);
  return ders.map((der, i) => {
    try {
      return new X509Certificate(der);
    } catch (error) {
      throw new IdentityError('IDENTITY_BAD_CA', `${what}: certificate #${i + 1} does not parse`, { cause: error });
    }
  });
}

/** The trust anchors of a PEM bundle (IDENTITY_BAD_CA when unusable). */
export function parseTrustAnchors(pem: string): X509Certificate[] {
  return certificatesFromPem(pem, 'the trust anchors');
}
