import { randomBytes } from 'node:crypto';
import { credentials, type ServiceError } from '@grpc/grpc-js';
import {
  createCsr,
  createIssuer,
  createTrustAnchor,
  generateKeyPair,
  identityServiceName,
  loadIssuer,
  systemClock,
  type CaMaterial,
  type Issuer,
} from '@trellis/identity';
import { IdentityClient, type CertifyResponse } from '@trellis/proto';

export const random = (n: number) => randomBytes(n);

export interface TestPki {
  anchor: CaMaterial;
  issuer: CaMaterial;
  loaded: Issuer;
}

/** A fresh trust anchor and issuer, valid from now. */
export async function createTestPki(): Promise<TestPki> {
  const anchor = await createTrustAnchor({ clock: systemClock, random, commonName: 'root.test' });
  const issuer = await createIssuer(anchor, { clock: systemClock, random, commonName: 'issuer.test' });
  const loaded = await loadIssuer(
    { certificatePem: issuer.certificatePem, keyPem: issuer.keyPem, trustAnchorsPem: anchor.certificatePem },
    systemClock.now(),
  );
  return { anchor, issuer, loaded };
}

/** A client over TLS that checks the service's certificate against the anchor, for `serverIdentity`. */
export function identityClient(port: number, anchorPem: string, serverIdentity = identityServiceName()): IdentityClient {
  return new IdentityClient(`127.0.0.1:${port}`, credentials.createSsl(Buffer.from(anchorPem)), {
    'grpc.ssl_target_name_override': serverIdentity,
    'grpc.default_authority': serverIdentity,
  });
}

export type CertifyOutcome = { ok: true; response: CertifyResponse } | { ok: false; error: ServiceError };

export function callCertify(
  client: IdentityClient,
  request: { identity: string; token: string; csr: Uint8Array },
): Promise<CertifyOutcome> {
  return new Promise((resolve) => {
    client.certify(
      { identity: request.identity, token: Buffer.from(request.token), certificateSigningRequest: Buffer.from(request.csr) },
      (error, response) => resolve(error ? { ok: false, error } : { ok: true, response: response! }),
    );
  });
}

export async function csrFor(identity: string): Promise<Uint8Array> {
  return createCsr(identity, await generateKeyPair());
}
