import { createPrivateKey, KeyObject } from 'node:crypto';
import { EC_KEY_ALGORITHM } from './defaults';
import { IdentityError } from './errors';
import type { CryptoKey, CryptoKeyPair } from './types';
import { subtle } from './x509';

/**
 * A fresh ECDSA P-256 key pair. The private key is extractable only so that it can be handed to Node's TLS stack
 * as PEM; it never leaves the process.
 */
export async function generateKeyPair(): Promise<CryptoKeyPair> {
  return (await subtle.generateKey(EC_KEY_ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
}

/** PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`) of a private key, for `tls.createSecureContext({ key })`. */
export async function privateKeyToPem(key: CryptoKey): Promise<string> {
  return KeyObject.from(key).export({ type: 'pkcs8', format: 'pem' }).toString();
}

/**
 * Imports an ECDSA P-256 private key from PEM, either PKCS#8 (`BEGIN PRIVATE KEY`) or SEC1
 * (`BEGIN EC PRIVATE KEY`, what `openssl ecparam -genkey` writes); throws IDENTITY_BAD_CA.
 */
export async function importSigningKey(pem: string): Promise<CryptoKey> {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (error) {
    throw new IdentityError('IDENTITY_BAD_CA', 'the issuer key is not a PEM private key', { cause: error });
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new IdentityError(
      'IDENTITY_BAD_CA',
      `the issuer key must be ECDSA P-256, got ${key.asymmetricKeyType} ${key.asymmetricKeyDetails?.namedCurve ?? ''}`.trim(),
    );
  }
  const pkcs8 = key.export({ type: 'pkcs8', format: 'der' });
  return subtle.importKey('pkcs8', pkcs8, EC_KEY_ALGORITHM, false, ['sign']);
}
