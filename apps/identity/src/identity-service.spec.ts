import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { connect as tlsConnect } from 'node:tls';
import { credentials, status } from '@grpc/grpc-js';
import { KubeConfig } from '@kubernetes/client-node';
import {
  DEFAULT_CLOCK_SKEW_ALLOWANCE_MS,
  formatIdentity,
  identityServiceName,
  signLocalToken,
  systemClock,
  TOKEN_AUDIENCE,
} from '@trellis/identity';
import { IdentityClient as IdentityGrpcClient } from '@trellis/proto';
import type { IdentityClient } from '@trellis/proto';
import { createTempDir, startFakeKubeApi, writeFakeKubeconfig, type FakeKubeApiServer, type TempDir } from '@trellis/testing';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIdentityService, type RunningIdentityService } from './identity-service';
import { kubernetesTokenValidator } from './kubernetes-token-validator';
import { localTokenValidator } from './local-token-validator';
import { callCertify, createTestPki, csrFor, identityClient, random, type TestPki } from './testing/identity-harness';

const KEY = Buffer.alloc(32, 9);
const WEB = formatIdentity({ serviceAccount: 'web', namespace: 'shop' });
const DB = formatIdentity({ serviceAccount: 'db', namespace: 'shop' });
const LIFETIME_MS = 60 * 60 * 1000;
const logger = pino({ level: 'silent' });

/** The certificate the gRPC port presents, read with a plain TLS handshake that does not verify it. */
function servedCertificate(port: number): Promise<X509Certificate> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false, ALPNProtocols: ['h2'] }, () => {
      const cert = socket.getPeerX509Certificate();
      socket.destroy();
      if (cert === undefined) reject(new Error('no certificate'));
      else resolve(cert);
    });
    socket.once('error', reject);
  });
}

async function metricsText(adminPort: number): Promise<string> {
  return (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
}

function refusals(text: string, reason: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`identity_certify_refusals_total{reason="${reason}"}`));
  return line ? Number(line.split(' ')[1]) : 0;
}

describe('identity service with local tokens, through a real gRPC client', () => {
  let pki: TestPki;
  let service: RunningIdentityService;
  let client: IdentityClient;
  const token = (claims = { namespace: 'shop', serviceAccount: 'web' }, options: { audience?: string; lifetimeMs?: number; clockMs?: number } = {}) =>
    signLocalToken(claims, {
      key: KEY,
      clock: { now: () => options.clockMs ?? Date.now() },
      ...(options.audience ? { audience: options.audience } : {}),
      ...(options.lifetimeMs ? { lifetimeMs: options.lifetimeMs } : {}),
    });

  beforeAll(async () => {
    pki = await createTestPki();
    service = await startIdentityService({
      issuer: pki.loaded,
      validator: localTokenValidator({ key: KEY, audience: TOKEN_AUDIENCE, clock: systemClock }),
      trustDomain: 'cluster.local',
      leaf: { lifetimeMs: LIFETIME_MS, clockSkewAllowanceMs: DEFAULT_CLOCK_SKEW_ALLOWANCE_MS },
      clock: systemClock,
      random,
      logger,
      host: '127.0.0.1',
      grpcPort: 0,
      adminPort: 0,
      serviceIdentity: identityServiceName(),
    });
    client = identityClient(service.grpcPort, pki.anchor.certificatePem);
  });

  afterAll(async () => {
    client?.close();
    await service?.close();
  });

  it('certifies: the leaf names the identity, lasts the configured lifetime and chains to the anchor', async () => {
    const before = Date.now();
    const outcome = await callCertify(client, { identity: WEB, token: await token(), csr: await csrFor(WEB) });
    if (!outcome.ok) throw outcome.error;
    const leaf = new X509Certificate(outcome.response.leafCertificate);
    const chain = outcome.response.intermediateCertificates.map((der) => new X509Certificate(der));
    const anchor = new X509Certificate(pki.anchor.certificatePem);
    expect(chain).toHaveLength(1);
    expect(leaf.subjectAltName).toBe(`DNS:${WEB}`);
    expect(leaf.checkIssued(chain[0]!)).toBe(true);
    expect(leaf.verify(chain[0]!.publicKey)).toBe(true);
    expect(chain[0]!.checkIssued(anchor)).toBe(true);
    expect(chain[0]!.verify(anchor.publicKey)).toBe(true);
    const validUntilMs = Number(outcome.response.validUntil?.seconds) * 1000;
    expect(validUntilMs).toBe(Date.parse(leaf.validTo));
    // Certificates carry whole seconds: the expiry is the call's time plus the lifetime, to the second.
    expect(validUntilMs).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + LIFETIME_MS);
    expect(Date.parse(leaf.validTo) - Date.parse(leaf.validFrom)).toBeGreaterThanOrEqual(LIFETIME_MS + DEFAULT_CLOCK_SKEW_ALLOWANCE_MS - 1000);
  });

  it.each([
    ['an expired token', async () => ({ identity: WEB, token: await token(undefined, { lifetimeMs: 1000, clockMs: Date.now() - 60_000 }), csr: await csrFor(WEB) }), status.UNAUTHENTICATED, 'token_expired', /expired/],
    ['a token for another audience', async () => ({ identity: WEB, token: await token(undefined, { audience: 'vault' }), csr: await csrFor(WEB) }), status.UNAUTHENTICATED, 'token_audience', /audience/],
    ['an unknown token', async () => ({ identity: WEB, token: 'not-a-token', csr: await csrFor(WEB) }), status.UNAUTHENTICATED, 'token_invalid', /token is invalid/],
    ['a CSR for another ServiceAccount', async () => ({ identity: WEB, token: await token(), csr: await csrFor(DB) }), status.PERMISSION_DENIED, 'name_mismatch', /the CSR asks for "db\.shop/],
    ['a requested identity other than the token', async () => ({ identity: DB, token: await token(), csr: await csrFor(DB) }), status.PERMISSION_DENIED, 'name_mismatch', /is not the token's/],
    ['a malformed CSR', async () => ({ identity: WEB, token: await token(), csr: Buffer.from('garbage') }), status.INVALID_ARGUMENT, 'bad_csr', /not a DER PKCS#10/],
    ['a malformed identity', async () => ({ identity: 'web.shop', token: await token(), csr: await csrFor(WEB) }), status.INVALID_ARGUMENT, 'bad_identity', /malformed/],
    ['an identity in another trust domain', async () => ({ identity: formatIdentity({ serviceAccount: 'web', namespace: 'shop', trustDomain: 'other.org' }), token: await token(), csr: await csrFor(WEB) }), status.INVALID_ARGUMENT, 'bad_request', /trust domain/],
    ['an empty request', async () => ({ identity: '', token: '', csr: new Uint8Array(0) }), status.INVALID_ARGUMENT, 'bad_request', /identity is required/],
  ])('refuses %s with a clear reason, counts it and keeps serving', async (_name, build, code, reason, message) => {
    const before = refusals(await metricsText(service.adminPort), reason);
    const outcome = await callCertify(client, await build());
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.error.code).toBe(code);
    expect(outcome.error.details).toMatch(message);
    expect(refusals(await metricsText(service.adminPort), reason)).toBe(before + 1);
    const good = await callCertify(client, { identity: WEB, token: await token(), csr: await csrFor(WEB) });
    expect(good.ok).toBe(true);
  });

  it('serves over TLS under its own identity, signed by the issuer: a client expecting another name or plaintext gets nothing', async () => {
    const served = await servedCertificate(service.grpcPort);
    expect(served.subjectAltName).toBe(`DNS:${identityServiceName()}`);
    expect(served.checkIssued(new X509Certificate(pki.issuer.certificatePem))).toBe(true);
    const impostor = identityClient(service.grpcPort, pki.anchor.certificatePem, WEB);
    const plaintext = new IdentityGrpcClient(`127.0.0.1:${service.grpcPort}`, credentials.createInsecure());
    try {
      for (const other of [impostor, plaintext]) {
        const outcome = await callCertify(other, { identity: WEB, token: await token(), csr: await csrFor(WEB) });
        expect(outcome.ok).toBe(false);
        if (!outcome.ok) expect(outcome.error.code).toBe(status.UNAVAILABLE);
      }
    } finally {
      impostor.close();
      plaintext.close();
    }
  });

  it('refuses a request larger than the limit without reading it', async () => {
    const outcome = await callCertify(client, { identity: WEB, token: 'x'.repeat(100_000), csr: await csrFor(WEB) });
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.error.code).toBe(status.RESOURCE_EXHAUSTED);
  });

  it('serves metrics that promtool accepts', () => {
    return metricsText(service.adminPort).then((text) => {
      const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      expect(check.error, 'promtool is needed (Debian: apt-get install prometheus)').toBeUndefined();
      expect(`${check.stdout}${check.stderr}`).toBe('');
      expect(check.status).toBe(0);
    });
  });

  it('serves /ready and /live on the admin port', async () => {
    expect((await fetch(`http://127.0.0.1:${service.adminPort}/ready`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${service.adminPort}/live`)).status).toBe(200);
    const text = await metricsText(service.adminPort);
    expect(text).toMatch(/identity_certify_requests_total\{result="ok"\} [1-9]/);
    expect(text).toContain('identity_cert_expiration_timestamp_seconds');
  });
});

describe('identity service with Kubernetes TokenReview, through the real client and a fake API server', () => {
  let api: FakeKubeApiServer;
  let dir: TempDir;
  let service: RunningIdentityService;
  let client: IdentityClient;

  beforeAll(async () => {
    api = await startFakeKubeApi({ token: 'identity-sa-token' });
    dir = await createTempDir('trellis-identity-');
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(await writeFakeKubeconfig(dir.path, api.url, 'identity-sa-token'));
    const pki = await createTestPki();
    service = await startIdentityService({
      issuer: pki.loaded,
      validator: kubernetesTokenValidator({ kubeConfig, audience: TOKEN_AUDIENCE }),
      trustDomain: 'cluster.local',
      leaf: { lifetimeMs: LIFETIME_MS, clockSkewAllowanceMs: 0 },
      clock: systemClock,
      random,
      logger,
      host: '127.0.0.1',
      grpcPort: 0,
      adminPort: 0,
      serviceIdentity: identityServiceName(),
    });
    client = identityClient(service.grpcPort, pki.anchor.certificatePem);
    api.addServiceAccountToken('web-token', { namespace: 'shop', serviceAccount: 'web', audiences: [TOKEN_AUDIENCE] });
    api.addServiceAccountToken('api-audience-token', { namespace: 'shop', serviceAccount: 'web' });
  });

  afterAll(async () => {
    client?.close();
    await service?.close();
    await api?.close();
    await dir?.remove();
  });

  it('certifies a token the API server authenticates for identity.l5d.io', async () => {
    const outcome = await callCertify(client, { identity: WEB, token: 'web-token', csr: await csrFor(WEB) });
    if (!outcome.ok) throw outcome.error;
    expect(new X509Certificate(outcome.response.leafCertificate).subjectAltName).toBe(`DNS:${WEB}`);
    const [review] = api.requests({ method: 'POST', path: /tokenreviews$/ });
    expect(JSON.parse(review?.body ?? '{}')).toMatchObject({ spec: { token: 'web-token', audiences: [TOKEN_AUDIENCE] } });
  });

  it('refuses unknown tokens, tokens for the API server audience and revoked tokens', async () => {
    const unknown = await callCertify(client, { identity: WEB, token: 'nope', csr: await csrFor(WEB) });
    expect(unknown.ok || unknown.error.code).toBe(status.UNAUTHENTICATED);
    const audience = await callCertify(client, { identity: WEB, token: 'api-audience-token', csr: await csrFor(WEB) });
    expect(audience.ok || audience.error.details).toMatch(/audience/);
    api.revokeServiceAccountToken('web-token');
    const revoked = await callCertify(client, { identity: WEB, token: 'web-token', csr: await csrFor(WEB) });
    expect(revoked.ok || revoked.error.code).toBe(status.UNAUTHENTICATED);
    const text = await metricsText(service.adminPort);
    expect(refusals(text, 'token_audience')).toBe(1);
    expect(refusals(text, 'token_invalid')).toBe(2);
  });

  it('answers UNAVAILABLE while the API server is down, and certifies again once it is back', async () => {
    api.addServiceAccountToken('web-token-2', { namespace: 'shop', serviceAccount: 'web', audiences: [TOKEN_AUDIENCE] });
    await api.goOffline();
    const down = await callCertify(client, { identity: WEB, token: 'web-token-2', csr: await csrFor(WEB) });
    expect(down.ok || down.error.code).toBe(status.UNAVAILABLE);
    await api.goOnline();
    const up = await callCertify(client, { identity: WEB, token: 'web-token-2', csr: await csrFor(WEB) });
    expect(up.ok).toBe(true);
  });
});

describe('identity service under more calls than it serves at once', () => {
  it('refuses the call beyond the limit with RESOURCE_EXHAUSTED, counts it, and serves the held call', async () => {
    const pki = await createTestPki();
    let release: () => void = () => undefined;
    let entered: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const validating = new Promise<void>((resolve) => (entered = resolve));
    const service = await startIdentityService({
      issuer: pki.loaded,
      validator: {
        kind: 'local',
        validate: async () => {
          entered();
          await held;
          return { namespace: 'shop', serviceAccount: 'web' };
        },
      },
      trustDomain: 'cluster.local',
      leaf: { lifetimeMs: LIFETIME_MS, clockSkewAllowanceMs: 0 },
      clock: systemClock,
      random,
      logger,
      host: '127.0.0.1',
      grpcPort: 0,
      adminPort: 0,
      serviceIdentity: identityServiceName(),
      maxConcurrent: 1,
    });
    const client = identityClient(service.grpcPort, pki.anchor.certificatePem);
    try {
      const first = callCertify(client, { identity: WEB, token: 't', csr: await csrFor(WEB) });
      await validating;
      const second = await callCertify(client, { identity: WEB, token: 't', csr: await csrFor(WEB) });
      expect(second.ok || second.error.code).toBe(status.RESOURCE_EXHAUSTED);
      expect(refusals(await metricsText(service.adminPort), 'overloaded')).toBe(1);
      release();
      expect((await first).ok).toBe(true);
    } finally {
      release();
      client.close();
      await service.close();
    }
  });
});
