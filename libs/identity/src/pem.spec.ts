import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isIdentityError } from './errors';
import { certificatesFromPem, certificateToPem, pemBundleToDer } from './pem';
import { createTestCa } from './test-ca.test-helpers';

describe('PEM', () => {
  it('writes RFC 7468 blocks that Node reads back, and splits bundles ignoring other blocks and text', async () => {
    const ca = await createTestCa();
    const anchorDer = new Uint8Array(new X509Certificate(ca.anchor.certificatePem).raw);
    const pem = certificateToPem(anchorDer);
    expect(pem.split('\n').slice(1, -2).every((line) => line.length <= 64)).toBe(true);
    expect(new X509Certificate(pem).raw).toEqual(Buffer.from(anchorDer));
    const bundle = `comment\n${ca.issuer.certificatePem}\n${ca.issuer.keyPem}${pem}`;
    const ders = pemBundleToDer(bundle);
    expect(ders).toHaveLength(2);
    expect(Buffer.from(ders[1]!)).toEqual(Buffer.from(anchorDer));
  });

  it('refuses a bundle without certificates or with a broken one', () => {
    for (const pem of ['', 'hello', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n']) {
      let caught: unknown;
      try {
        certificatesFromPem(pem, 'the test bundle');
      } catch (error) {
        caught = error;
      }
      expect(isIdentityError(caught, 'IDENTITY_BAD_CA')).toBe(true);
    }
  });
});
