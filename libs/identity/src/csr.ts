import { createPublicKey, KeyObject } from 'node:crypto';
import { EC_SIGNING_ALGORITHM } from './defaults';
import { IdentityError } from './errors';
import type { CryptoKeyPair } from './types';
import { loadX509, type X509 } from './x509';

/** Largest CSR accepted, bytes. Source: ours (a P-256 CSR with one SAN is about 300 bytes). */
export const MAX_CSR_BYTES = 16 * 1024;

const SAN_OID = '2.5.29.17';

/** A DER PKCS#10 request for `identity` (subject CN and SAN DNS both the identity), signed with `keys`. */
export async function createCsr(identity: string, keys: CryptoKeyPair): Promise<Uint8Array> {
  const x509 = await loadX509();
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: [{ CN: [identity] }],
    keys,
    signingAlgorithm: EC_SIGNING_ALGORITHM,
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: identity }])],
  });
  return new Uint8Array(csr.rawData);
}

function badCsr(message: string, cause?: unknown): IdentityError {
  return new IdentityError('IDENTITY_BAD_CSR', message, cause === undefined ? undefined : { cause });
}

function parse(x509: typeof X509, der: Uint8Array): X509.Pkcs10CertificateRequest {
  if (der.byteLength === 0) throw badCsr('the certificate signing request is empty');
  if (der.byteLength > MAX_CSR_BYTES) {
    throw badCsr(`the certificate signing request is ${der.byteLength} bytes, more than ${MAX_CSR_BYTES}`);
  }
  try {
    return new x509.Pkcs10CertificateRequest(Uint8Array.from(der));
  } catch (error) {
    throw badCsr('the certificate signing request is not a DER PKCS#10 request', error);
  }
}

function requireP256(csr: X509.Pkcs10CertificateRequest): void {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(csr.publicKey.rawData), format: 'der', type: 'spki' });
  } catch (error) {
    throw badCsr("the CSR's public key does not parse", error);
  }
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (key.asymmetricKeyType !== 'ec' || curve !== 'prime256v1') {
    throw badCsr(`the CSR's key must be ECDSA P-256, got ${key.asymmetricKeyType ?? 'unknown'} ${curve ?? ''}`.trim());
  }
}

/** The names a CSR asks for: its subject CNs and its SAN entries by type. */
function requestedNames(
  x509: typeof X509,
  csr: X509.Pkcs10CertificateRequest,
): { cns: string[]; dns: string[]; others: string[] } {
  const cns = csr.subjectName.getField('CN');
  const dns: string[] = [];
  const others: string[] = [];
  for (const extension of csr.extensions) {
    if (extension.type !== SAN_OID) continue;
    const san = new x509.SubjectAlternativeNameExtension(extension.rawData);
    for (const name of san.names.toJSON()) {
      if (name.type === 'dns') dns.push(name.value);
      else others.push(`${name.type}:${name.value}`);
    }
  }
  return { cns, dns, others };
}

/**
 * Parses and checks a CSR from a workload that proved `identity`: the signature must be valid, the key ECDSA P-256,
 * and the request must name `identity` and nothing else: exactly one SAN DNS name, equal to it; a subject CN, if
 * any, equal to it; no other SAN types (Linkerd's identity controller's rules). Returns the public key to certify.
 * Throws IDENTITY_BAD_CSR for a malformed or badly signed request, IDENTITY_NAME_MISMATCH for other names.
 */
export async function verifyCsr(der: Uint8Array, identity: string): Promise<X509.PublicKey> {
  const x509 = await loadX509();
  const csr = parse(x509, der);
  requireP256(csr);
  let signatureValid: boolean;
  try {
    signatureValid = await csr.verify();
  } catch (error) {
    throw badCsr('the certificate signing request signature cannot be checked', error);
  }
  if (!signatureValid) throw badCsr('the certificate signing request signature is invalid');
  const { cns, dns, others } = requestedNames(x509, csr);
  if (others.length > 0) {
    throw new IdentityError('IDENTITY_NAME_MISMATCH', `the CSR asks for names other than DNS: ${others.join(', ')}`);
  }
  if (dns.length !== 1) {
    throw new IdentityError('IDENTITY_NAME_MISMATCH', `the CSR must name exactly one SAN DNS name, it names ${dns.length}`);
  }
  const wrong = [...dns, ...cns].find((name) => name !== identity);
  if (wrong !== undefined) {
    throw new IdentityError(
      'IDENTITY_NAME_MISMATCH',
      `the CSR asks for ${JSON.stringify(wrong)} but the token proves ${JSON.stringify(identity)}`,
    );
  }
  return csr.publicKey;
}
