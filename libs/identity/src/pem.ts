import { X509Certificate } from 'node:crypto';
import { IdentityError } from './errors';
import { x509 } from './x509';

export function certificateToPem(der: Uint8Array): string {
  return x509.PemConverter.encode(toArrayBuffer(der), 'CERTIFICATE');
}

/** The DER of each `CERTIFICATE` block of a PEM bundle, in order; other blocks are ignored. */
export function pemBundleToDer(pem: string): Uint8Array[] {
  let blocks: ReturnType<typeof x509.PemConverter.decodeWithHeaders>;
  try {
    blocks = x509.PemConverter.decodeWithHeaders(pem);
  } catch {
    return [];
  }
  return blocks.filter((block) => block.type === 'CERTIFICATE').map((block) => new Uint8Array(block.rawData));
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

export function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}
