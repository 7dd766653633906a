import { X509Certificate } from 'node:crypto';
import { certificateToPem, certify, createCsr, createIssuer, createTrustAnchor, generateKeyPair, loadIssuer, privateKeyToPem, systemClock } from '@trellis/identity';
import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { IdentityCertificate } from './identity-client';
import { MeshTlsContexts } from './tls-contexts';

const WEB = 'web.shop.serviceaccount.identity.cluster.local';

async function certificate(): Promise<IdentityCertificate> {
  const random = (n: number) => new Uint8Array(n).map(() => Math.floor(Math.random() * 256));
  const anchor = await createTrustAnchor({ clock: systemClock, random, commonName: 'root.test' });
  const issuerCa = await createIssuer(anchor, { clock: systemClock, random, commonName: 'issuer.test' });
  const issuer = await loadIssuer({ certificatePem: issuerCa.certificatePem, keyPem: issuerCa.keyPem, trustAnchorsPem: anchor.certificatePem }, Date.now());
  const keys = await generateKeyPair();
  const leaf = await certify(issuer, { requestedIdentity: WEB, provenIdentity: WEB, csrDer: await createCsr(WEB, keys) }, { clock: systemClock, random });
  const parsed = new X509Certificate(leaf.leafDer);
  return {
    identity: WEB,
    keyPem: await privateKeyToPem(keys.privateKey),
    certificateChainPem: [leaf.leafDer, ...leaf.intermediatesDer].map(certificateToPem).join(''),
    trustAnchorsPem: anchor.certificatePem,
    notBefore: new Date(parsed.validFrom),
    notAfter: new Date(parsed.validTo),
  };
}

describe('MeshTlsContexts', () => {
  it('builds one context per certificate, none after expiry, and stops following on close', async () => {
    const certificates$ = new Subject<IdentityCertificate>();
    let now = Date.now();
    const contexts = new MeshTlsContexts({ certificates$ }, { now: () => now });
    expect(contexts.current()).toBeUndefined();
    const first = await certificate();
    certificates$.next(first);
    const firstContext = contexts.current();
    expect(firstContext).toBeDefined();
    expect(contexts.current()).toBe(firstContext);
    certificates$.next(await certificate());
    expect(contexts.current()).not.toBe(firstContext);
    now = first.notAfter.getTime() + 24 * 60 * 60 * 1000;
    expect(contexts.current()).toBeUndefined();
    contexts.close();
    contexts.close();
    now = Date.now();
    certificates$.next(first);
    expect(contexts.current()).toBeUndefined();
  });
});
