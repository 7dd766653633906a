import { X509Certificate } from 'node:crypto';
import { identityServiceName, systemClock } from '@trellis/identity';
import { waitFor } from '@trellis/testing';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ServingCertificate } from './serving-certificate';
import { createTestPki, random } from './testing/identity-harness';

// Renewal comes at 70 % (2.8 s): more than a second before expiry, so whole-second X.509 times still tell them apart.
const LIFETIME_MS = 4_000;
const RENEWAL_TIMEOUT_MS = 15_000;

describe('the identity service serving certificate', () => {
  it('is a leaf for the service identity from the issuer, renewed before it expires and handed to listeners', async () => {
    const pki = await createTestPki();
    const serving = await ServingCertificate.start({
      issuer: pki.loaded,
      identity: identityServiceName(),
      leaf: { clock: systemClock, random, lifetimeMs: LIFETIME_MS, clockSkewAllowanceMs: 0 },
      logger: pino({ level: 'silent' }),
    });
    const seen: X509Certificate[] = [];
    serving.addIdentityCertificateListener((update) => {
      if (update !== null) seen.push(new X509Certificate(update.certificate));
    });
    try {
      await waitFor(() => seen.length >= 2, { timeoutMs: RENEWAL_TIMEOUT_MS });
      const [first, second] = seen as [X509Certificate, X509Certificate];
      for (const cert of [first, second]) {
        expect(cert.subjectAltName).toBe(`DNS:${identityServiceName()}`);
        expect(cert.checkIssued(new X509Certificate(pki.issuer.certificatePem))).toBe(true);
      }
      expect(second.serialNumber).not.toBe(first.serialNumber);
      // Renewed at 70 % of the first one's life, so before it expired.
      expect(Date.parse(second.validFrom)).toBeLessThan(Date.parse(first.validTo));
    } finally {
      serving.close();
      serving.close();
    }
  }, RENEWAL_TIMEOUT_MS + 5_000);
});
