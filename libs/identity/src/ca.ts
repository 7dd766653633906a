import {
  DEFAULT_ANCHOR_LIFETIME_MS,
  DEFAULT_ISSUER_LIFETIME_MS,
  EC_SIGNING_ALGORITHM,
  SERIAL_NUMBER_BYTES,
} from './defaults';
import { IdentityError } from './errors';
import { generateKeyPair, importSigningKey, privateKeyToPem } from './keys';
import type { Clock, RandomBytes } from './types';
import { loadX509, type X509 } from './x509';

// Creates the two CA levels Linkerd uses: a self-signed trust anchor (root) that only signs issuers, and an
// issuer (intermediate) that signs the workloads' leaves. Tools and tests use this; the identity service only
// loads what it is given.

export interface CaMaterial {
  certificatePem: string;
  keyPem: string;
}

export interface CreateCaOptions {
  clock: Clock;
  random: RandomBytes;
  /** Subject common name, e.g. `root.linkerd.cluster.local` in Linkerd's docs. */
  commonName: string;
  lifetimeMs?: number;
}

/** Path length of an anchor: it signs issuers, which sign leaves. Source: Linkerd's docs (`--max-path-length 1`). */
const ANCHOR_PATH_LENGTH = 1;
/** Path length of an issuer: it signs leaves only. Source: Linkerd's docs (`--max-path-length 0`). */
const ISSUER_PATH_LENGTH = 0;

export function serialNumber(random: RandomBytes): string {
  const bytes = random(SERIAL_NUMBER_BYTES);
  // A DER INTEGER is signed: clear the top bit so the serial stays positive, and keep it non-zero.
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x01;
  return Buffer.from(bytes).toString('hex');
}

function caExtensions(x509: typeof X509, pathLength: number, publicKeyId: Promise<X509.SubjectKeyIdentifierExtension>) {
  return publicKeyId.then((ski) => [
    new x509.BasicConstraintsExtension(true, pathLength, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ski,
  ]);
}

function requireLifetime(lifetimeMs: number): number {
  if (!Number.isFinite(lifetimeMs) || lifetimeMs <= 0) {
    throw new IdentityError('IDENTITY_BAD_OPTION', `CA lifetime must be a finite number of ms > 0, got ${lifetimeMs}`);
  }
  return lifetimeMs;
}

export async function createTrustAnchor(options: CreateCaOptions): Promise<CaMaterial> {
  const x509 = await loadX509();
  const now = options.clock.now();
  const lifetimeMs = requireLifetime(options.lifetimeMs ?? DEFAULT_ANCHOR_LIFETIME_MS);
  const keys = await generateKeyPair();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(options.random),
    name: [{ CN: [options.commonName] }],
    notBefore: new Date(now),
    notAfter: new Date(now + lifetimeMs),
    keys,
    signingAlgorithm: EC_SIGNING_ALGORITHM,
    extensions: await caExtensions(x509, ANCHOR_PATH_LENGTH, x509.SubjectKeyIdentifierExtension.create(keys.publicKey)),
  });
  return { certificatePem: certificate.toString('pem'), keyPem: await privateKeyToPem(keys.privateKey) };
}

/** An issuer signed by `anchor`, valid no longer than the anchor. */
export async function createIssuer(anchor: CaMaterial, options: CreateCaOptions): Promise<CaMaterial> {
  const x509 = await loadX509();
  const now = options.clock.now();
  const lifetimeMs = requireLifetime(options.lifetimeMs ?? DEFAULT_ISSUER_LIFETIME_MS);
  const anchorCert = new x509.X509Certificate(anchor.certificatePem);
  const anchorKey = await importSigningKey(anchor.keyPem);
  const keys = await generateKeyPair();
  const notAfter = Math.min(now + lifetimeMs, anchorCert.notAfter.getTime());
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(options.random),
    subject: [{ CN: [options.commonName] }],
    issuer: anchorCert.subjectName,
    notBefore: new Date(now),
    notAfter: new Date(notAfter),
    publicKey: keys.publicKey,
    signingKey: anchorKey,
    signingAlgorithm: EC_SIGNING_ALGORITHM,
    extensions: [
      ...(await caExtensions(x509, ISSUER_PATH_LENGTH, x509.SubjectKeyIdentifierExtension.create(keys.publicKey))),
      await x509.AuthorityKeyIdentifierExtension.create(anchorCert),
    ],
  });
  return { certificatePem: certificate.toString('pem'), keyPem: await privateKeyToPem(keys.privateKey) };
}

