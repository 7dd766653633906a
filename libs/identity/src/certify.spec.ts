import { X509Certificate } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createIssuer, createTrustAnchor } from './ca';
import { certify } from './certify';
import { checkCertified } from './certified';
import { createCsr } from './csr';
import { DEFAULT_CLOCK_SKEW_ALLOWANCE_MS, DEFAULT_LEAF_LIFETIME_MS } from './defaults';
import { isIdentityError, type IdentityErrorCode } from './errors';
import { loadIssuer, type Issuer } from './issuer';
import { generateKeyPair } from './keys';
import { formatIdentity } from './names';
import type { CryptoKeyPair } from './types';
import { loadX509, subtle } from './x509';
import { counterRandom, createTestCa, fixedClock, T0, type TestCa } from './test-ca.test-helpers';

const WEB = formatIdentity({ serviceAccount: 'web', namespace: 'emojivoto' });
const HOUR_MS = 60 * 60 * 1000;

async function expectCode(promise: Promise<unknown>, code: IdentityErrorCode): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isIdentityError(error, code), `expected ${code}, got ${String(error)}`).toBe(true);
  return error as Error;
}

describe('certify', () => {
  let ca: TestCa;
  let issuer: Issuer;
  const clock = fixedClock(T0 + HOUR_MS);
  const random = counterRandom();

  beforeAll(async () => {
    ca = await createTestCa();
    issuer = await loadIssuer(
      { certificatePem: ca.issuer.certificatePem, keyPem: ca.issuer.keyPem, trustAnchorsPem: ca.anchor.certificatePem },
      clock.now(),
    );
  });

  it('issues a 24 h leaf for the identity that chains leaf <- issuer <- anchor', async () => {
    const keys = await generateKeyPair();
    const issued = await certify(
      issuer,
      { requestedIdentity: WEB, provenIdentity: WEB, csrDer: await createCsr(WEB, keys) },
      { clock, random },
    );
    const leaf = new X509Certificate(issued.leafDer);
    const [issuerCert] = issued.intermediatesDer.map((der) => new X509Certificate(der));
    const anchor = new X509Certificate(ca.anchor.certificatePem);
    expect(issued.intermediatesDer).toHaveLength(1);
    expect(leaf.checkIssued(issuerCert!)).toBe(true);
    expect(leaf.verify(issuerCert!.publicKey)).toBe(true);
    expect(issuerCert!.checkIssued(anchor)).toBe(true);
    expect(issuerCert!.verify(anchor.publicKey)).toBe(true);
    expect(leaf.subjectAltName).toBe(`DNS:${WEB}`);
    expect(leaf.subject).toBe(`CN=${WEB}`);
    expect(leaf.ca).toBe(false);
    expect(leaf.keyUsage).toEqual(expect.arrayContaining(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']));
    expect(issued.notAfter.getTime() - issued.notBefore.getTime()).toBe(
      DEFAULT_LEAF_LIFETIME_MS + DEFAULT_CLOCK_SKEW_ALLOWANCE_MS,
    );
    expect(Date.parse(leaf.validTo)).toBe(clock.now() + DEFAULT_LEAF_LIFETIME_MS);
    expect(Date.parse(leaf.validFrom)).toBe(clock.now() - DEFAULT_CLOCK_SKEW_ALLOWANCE_MS);
    const spki = new Uint8Array(await subtle.exportKey('spki', keys.publicKey));
    const checked = checkCertified(
      issued,
      { identity: WEB, publicKeySpkiDer: spki, trustAnchors: [anchor] },
      clock.now(),
    );
    expect(checked.notAfter).toEqual(issued.notAfter);
  });

  it('never lets a leaf outlive its issuer', async () => {
    const shortClock = fixedClock(T0);
    const anchor = await createTrustAnchor({ clock: shortClock, random, commonName: 'root.short' });
    const short = await createIssuer(anchor, { clock: shortClock, random, commonName: 'issuer.short', lifetimeMs: 2 * HOUR_MS });
    const loaded = await loadIssuer(
      { certificatePem: short.certificatePem, keyPem: short.keyPem, trustAnchorsPem: anchor.certificatePem },
      T0,
    );
    const issued = await certify(
      loaded,
      { requestedIdentity: WEB, provenIdentity: WEB, csrDer: await createCsr(WEB, await generateKeyPair()) },
      { clock: fixedClock(T0 + HOUR_MS), random },
    );
    expect(issued.notAfter.getTime()).toBe(T0 + 2 * HOUR_MS);
  });

  it('issues a leaf of the configured lifetime', async () => {
    const issued = await certify(
      issuer,
      { requestedIdentity: WEB, provenIdentity: WEB, csrDer: await createCsr(WEB, await generateKeyPair()) },
      { clock, random, lifetimeMs: 3000, clockSkewAllowanceMs: 0 },
    );
    expect(issued.notAfter.getTime() - issued.notBefore.getTime()).toBe(3000);
  });

  it('refuses a requested identity that is not the proven one', async () => {
    const other = formatIdentity({ serviceAccount: 'db', namespace: 'emojivoto' });
    const error = await expectCode(
      certify(issuer, { requestedIdentity: other, provenIdentity: WEB, csrDer: await createCsr(other, await generateKeyPair()) }, { clock, random }),
      'IDENTITY_NAME_MISMATCH',
    );
    expect(error.message).toContain('db.emojivoto');
  });

  it('refuses a CSR for another name than the proven one', async () => {
    const other = formatIdentity({ serviceAccount: 'db', namespace: 'emojivoto' });
    await expectCode(
      certify(issuer, { requestedIdentity: WEB, provenIdentity: WEB, csrDer: await createCsr(other, await generateKeyPair()) }, { clock, random }),
      'IDENTITY_NAME_MISMATCH',
    );
  });

  it('accepts a CSR without a subject CN, as Linkerd does', async () => {
    const x509 = await loadX509();
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({
      keys: await generateKeyPair(),
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: WEB }])],
    });
    const issued = await certify(issuer, { requestedIdentity: WEB, provenIdentity: WEB, csrDer: new Uint8Array(csr.rawData) }, { clock, random });
    expect(new X509Certificate(issued.leafDer).subjectAltName).toBe(`DNS:${WEB}`);
  });

  it('refuses a CSR without a SAN, with an extra SAN or with a SAN of another type', async () => {
    const x509 = await loadX509();
    const keys = await generateKeyPair();
    for (const names of [
      [],
      [{ type: 'dns' as const, value: WEB }, { type: 'dns' as const, value: 'evil.example' }],
      [{ type: 'dns' as const, value: WEB }, { type: 'ip' as const, value: '127.0.0.1' }],
    ]) {
      const csr = await x509.Pkcs10CertificateRequestGenerator.create({
        name: [{ CN: [WEB] }],
        keys,
        signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
        extensions: names.length === 0 ? [] : [new x509.SubjectAlternativeNameExtension(names)],
      });
      await expectCode(
        certify(issuer, { requestedIdentity: WEB, provenIdentity: WEB, csrDer: new Uint8Array(csr.rawData) }, { clock, random }),
        'IDENTITY_NAME_MISMATCH',
      );
    }
  });

  it('refuses malformed CSRs: empty, garbage, a broken signature, an RSA key', async () => {
    const x509 = await loadX509();
    const good = await createCsr(WEB, await generateKeyPair());
    const badSignature = Uint8Array.from(good);
    badSignature[badSignature.length - 3] = (badSignature[badSignature.length - 3] ?? 0) ^ 0xff;
    const rsaKeys = (await subtle.generateKey(
      { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
      true,
      ['sign', 'verify'],
    )) as CryptoKeyPair;
    const rsa = await x509.Pkcs10CertificateRequestGenerator.create({
      name: [{ CN: [WEB] }],
      keys: rsaKeys,
      signingAlgorithm: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    });
    for (const csrDer of [new Uint8Array(0), Uint8Array.from([0x30, 0x03, 0x02, 0x01, 0x00]), badSignature, new Uint8Array(rsa.rawData), new Uint8Array(20_000)]) {
      await expectCode(certify(issuer, { requestedIdentity: WEB, provenIdentity: WEB, csrDer }, { clock, random }), 'IDENTITY_BAD_CSR');
    }
  });
});

describe('loadIssuer', () => {
  let ca: TestCa;
  beforeAll(async () => {
    ca = await createTestCa();
  });

  it('refuses a key that is not the issuer certificate key', async () => {
    const other = await createTestCa();
    await expectCode(
      loadIssuer({ certificatePem: ca.issuer.certificatePem, keyPem: other.issuer.keyPem, trustAnchorsPem: ca.anchor.certificatePem }, T0),
      'IDENTITY_BAD_CA',
    );
  });

  it('refuses an issuer that does not chain to the anchors', async () => {
    const other = await createTestCa();
    const error = await expectCode(
      loadIssuer({ certificatePem: ca.issuer.certificatePem, keyPem: ca.issuer.keyPem, trustAnchorsPem: other.anchor.certificatePem }, T0),
      'IDENTITY_BAD_CA',
    );
    expect(error.message).toContain('does not chain to a trust anchor');
  });

  it('refuses an expired issuer, empty PEM and a non-EC key', async () => {
    const files = { certificatePem: ca.issuer.certificatePem, keyPem: ca.issuer.keyPem, trustAnchorsPem: ca.anchor.certificatePem };
    await expectCode(loadIssuer(files, T0 + 2 * 365 * 24 * HOUR_MS), 'IDENTITY_BAD_CA');
    await expectCode(loadIssuer({ ...files, trustAnchorsPem: '' }, T0), 'IDENTITY_BAD_CA');
    await expectCode(loadIssuer({ ...files, certificatePem: 'not pem' }, T0), 'IDENTITY_BAD_CA');
    await expectCode(loadIssuer({ ...files, keyPem: 'not pem' }, T0), 'IDENTITY_BAD_CA');
  });

  it('accepts a SEC1 (openssl ecparam) issuer key', async () => {
    const { createPrivateKey } = await import('node:crypto');
    const sec1 = createPrivateKey(ca.issuer.keyPem).export({ type: 'sec1', format: 'pem' }).toString();
    expect(sec1).toContain('BEGIN EC PRIVATE KEY');
    const loaded = await loadIssuer(
      { certificatePem: ca.issuer.certificatePem, keyPem: sec1, trustAnchorsPem: ca.anchor.certificatePem },
      T0,
    );
    expect(loaded.certificate.subject).toBe('CN=issuer.test');
  });
});

describe('checkCertified', () => {
  it('refuses a leaf for another key, another name or another anchor', async () => {
    const clock = fixedClock(T0 + HOUR_MS);
    const random = counterRandom();
    const ca = await createTestCa();
    const issuer = await loadIssuer(
      { certificatePem: ca.issuer.certificatePem, keyPem: ca.issuer.keyPem, trustAnchorsPem: ca.anchor.certificatePem },
      clock.now(),
    );
    const keys = await generateKeyPair();
    const issued = await certify(issuer, { requestedIdentity: WEB, provenIdentity: WEB, csrDer: await createCsr(WEB, keys) }, { clock, random });
    const spki = new Uint8Array(await subtle.exportKey('spki', keys.publicKey));
    const otherSpki = new Uint8Array(await subtle.exportKey('spki', (await generateKeyPair()).publicKey));
    const anchors = [new X509Certificate(ca.anchor.certificatePem)];
    const foreign = [new X509Certificate((await createTestCa()).anchor.certificatePem)];
    const cases = [
      { identity: WEB, publicKeySpkiDer: otherSpki, trustAnchors: anchors },
      { identity: 'db.emojivoto.serviceaccount.identity.cluster.local', publicKeySpkiDer: spki, trustAnchors: anchors },
      { identity: WEB, publicKeySpkiDer: spki, trustAnchors: foreign },
    ];
    for (const expected of cases) {
      let caught: unknown;
      try {
        checkCertified(issued, expected, clock.now());
      } catch (error) {
        caught = error;
      }
      expect(isIdentityError(caught, 'IDENTITY_BAD_CERTIFICATE')).toBe(true);
    }
    expect(() => checkCertified(issued, cases[0]!, issued.notAfter.getTime() + 1000)).toThrow(/not valid now|another public key/);
    expect(() => checkCertified(issued, { ...cases[0]!, publicKeySpkiDer: spki }, issued.notAfter.getTime() + 1000)).toThrow(/not valid now/);
  });
});
