import { DEFAULT_CLOCK_SKEW_ALLOWANCE_MS, DEFAULT_LEAF_LIFETIME_MS, EC_SIGNING_ALGORITHM } from './defaults';
import { serialNumber } from './ca';
import { IdentityError } from './errors';
import type { Issuer } from './issuer';
import type { Clock, RandomBytes } from './types';
import { loadX509, type X509 } from './x509';

export interface LeafOptions {
  clock: Clock;
  random: RandomBytes;
  /** Validity from now, ms (24 h default). The leaf never outlives its issuer. */
  lifetimeMs?: number;
  /** notBefore is set this far before now, ms (20 s default). */
  clockSkewAllowanceMs?: number;
}

export interface IssuedLeaf {
  leafDer: Uint8Array;
  /** The issuer and any intermediates, DER, leaf side first: CertifyResponse.intermediate_certificates. */
  intermediatesDer: Uint8Array[];
  notBefore: Date;
  notAfter: Date;
}

export interface ValidatedLeafOptions {
  lifetimeMs: number;
  clockSkewAllowanceMs: number;
}

/** Checks the lifetimes once (at the service's start), so that issuing never meets a bad option. */
export function validateLeafOptions(options: Partial<ValidatedLeafOptions>): ValidatedLeafOptions {
  const lifetimeMs = options.lifetimeMs ?? DEFAULT_LEAF_LIFETIME_MS;
  const clockSkewAllowanceMs = options.clockSkewAllowanceMs ?? DEFAULT_CLOCK_SKEW_ALLOWANCE_MS;
  if (!Number.isFinite(lifetimeMs) || lifetimeMs <= 0) {
    throw new IdentityError('IDENTITY_BAD_OPTION', `leaf lifetime must be a finite number of ms > 0, got ${lifetimeMs}`);
  }
  if (!Number.isFinite(clockSkewAllowanceMs) || clockSkewAllowanceMs < 0) {
    throw new IdentityError(
      'IDENTITY_BAD_OPTION',
      `clock skew allowance must be a finite number of ms >= 0, got ${clockSkewAllowanceMs}`,
    );
  }
  return { lifetimeMs, clockSkewAllowanceMs };
}

/**
 * Signs a leaf for `identity` over `publicKey` (already checked by verifyCsr): subject CN and SAN DNS the identity,
 * not a CA, digitalSignature + keyEncipherment, serverAuth + clientAuth (Linkerd's leaf profile).
 */
export async function issueLeaf(
  issuer: Issuer,
  identity: string,
  publicKey: X509.PublicKey,
  options: LeafOptions,
): Promise<IssuedLeaf> {
  const { lifetimeMs, clockSkewAllowanceMs } = validateLeafOptions(options);
  const x509 = await loadX509();
  const now = options.clock.now();
  const issuerNotAfter = Date.parse(issuer.certificate.validTo);
  const notBefore = new Date(now - clockSkewAllowanceMs);
  const notAfter = new Date(Math.min(now + lifetimeMs, issuerNotAfter));
  if (notAfter.getTime() <= now) {
    throw new IdentityError('IDENTITY_BAD_CA', `the issuer expired at ${issuer.certificate.validTo}`);
  }
  const issuerCert = new x509.X509Certificate(issuer.certificate.raw);
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(options.random),
    subject: [{ CN: [identity] }],
    issuer: issuerCert.subjectName,
    notBefore,
    notAfter,
    publicKey,
    signingKey: issuer.signingKey,
    signingAlgorithm: EC_SIGNING_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: identity }]),
      await x509.AuthorityKeyIdentifierExtension.create(issuerCert),
      await x509.SubjectKeyIdentifierExtension.create(publicKey),
    ],
  });
  return {
    leafDer: new Uint8Array(leaf.rawData),
    intermediatesDer: issuer.chainDer.map((der) => Uint8Array.from(der)),
    notBefore,
    notAfter,
  };
}
