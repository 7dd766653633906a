import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { connect, createServer, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { systemClock } from '@trellis/identity';
import { createTempDir, waitFor, type TempDir } from '@trellis/testing';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IdentityCertificate, ProxyIdentity } from './index';
import { MeshTlsContexts, peerIdentity, secureContextOptions, startIdentity } from './index';
import {
  buildIdentityService,
  foreignLeaf,
  localToken,
  spawnIdentityService,
  writeTestPki,
  type IdentityProcess,
  type TestPkiFiles,
} from './testing/identity-process';

const WEB = 'web.shop.serviceaccount.identity.cluster.local';
const DB = 'db.shop.serviceaccount.identity.cluster.local';
// Short certificates so that several renewals happen within a test; the proxy renews at 70 % of the remaining life,
// which leaves at least 1.5 s (30 % of 6 s less the second an X.509 time may lose) for a renewal on a busy machine.
const LIFETIME = '6s';
const RENEWAL_TEST_TIMEOUT_MS = 60_000;
const logger = pino({ level: 'silent' });

let dir: TempDir;
let pki: TestPkiFiles;
let service: IdentityProcess;
const started: ProxyIdentity[] = [];

beforeAll(async () => {
  await buildIdentityService();
  dir = await createTempDir('trellis-proxy-identity-');
  pki = await writeTestPki(dir.path);
  service = await spawnIdentityService(pki, ['--certificate-lifetime', LIFETIME, '--clock-skew-allowance', '0s']);
});

afterAll(async () => {
  for (const identity of started.splice(0)) await identity.close();
  await service?.kill();
  await dir?.remove();
});

async function start(name: string, tokenFile: string, registry = new Registry(), env: Record<string, string> = {}): Promise<ProxyIdentity> {
  const identity = await startIdentity({
    env: {
      TRELLIS_IDENTITY_ADDR: `127.0.0.1:${service.grpcPort}`,
      TRELLIS_IDENTITY_TOKEN_FILE: tokenFile,
      TRELLIS_IDENTITY_TRUST_ANCHORS: pki.trustAnchors,
      TRELLIS_IDENTITY_NAME: name,
      ...env,
    },
    registry,
    logger,
  });
  if (!identity) throw new Error('identity is off');
  started.push(identity);
  return identity;
}

async function tokenFile(name: string, namespace: string, serviceAccount: string): Promise<string> {
  const path = join(dir.path, name);
  await writeFile(path, await localToken(namespace, serviceAccount));
  return path;
}

function leafOf(cert: IdentityCertificate): X509Certificate {
  return new X509Certificate(cert.certificateChainPem);
}

function metric(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

describe('proxy identity client against the real identity service', () => {
  it(
    'certifies at start and renews every certificate before it expires, with the same key',
    async () => {
      const registry = new Registry();
      const identity = await start(WEB, await tokenFile('web-token', 'shop', 'web'), registry);
      const received: { cert: IdentityCertificate; atMs: number }[] = [];
      identity.certificates$.subscribe((cert) => received.push({ cert, atMs: Date.now() }));
      const first = await identity.ready();
      expect(identity.current()).toBe(first);
      await waitFor(() => received.length >= 3, { timeoutMs: 30_000 });

      const anchor = new X509Certificate(pki.anchorPem);
      const leaves = received.map(({ cert }) => leafOf(cert));
      for (const [i, { cert, atMs }] of received.entries()) {
        const leaf = leaves[i]!;
        expect(cert.identity).toBe(WEB);
        expect(leaf.subjectAltName).toBe(`DNS:${WEB}`);
        expect(leaf.publicKey.export({ type: 'spki', format: 'der' })).toEqual(leaves[0]!.publicKey.export({ type: 'spki', format: 'der' }));
        const issuer = new X509Certificate(cert.certificateChainPem.slice(cert.certificateChainPem.indexOf('-----END CERTIFICATE-----') + 26));
        expect(leaf.checkIssued(issuer) && leaf.verify(issuer.publicKey)).toBe(true);
        expect(issuer.checkIssued(anchor) && issuer.verify(anchor.publicKey)).toBe(true);
        if (i === 0) continue;
        const previous = received[i - 1]!.cert;
        // The renewal arrived while the previous certificate was still valid, and extends the validity.
        expect(atMs).toBeLessThan(previous.notAfter.getTime());
        expect(cert.notAfter.getTime()).toBeGreaterThan(previous.notAfter.getTime());
      }
      const text = await registry.metrics();
      expect(metric(text, 'identity_cert_refresh_total')).toBeGreaterThanOrEqual(3);
      expect(metric(text, 'identity_cert_expiration_timestamp_seconds')).toBe(identity.current()!.notAfter.getTime() / 1000);
      expect(metric(text, 'identity_cert_refresh_seconds')).toBeGreaterThan(0);
      const promtool = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      expect(promtool.error, 'promtool is needed (Debian: apt-get install prometheus)').toBeUndefined();
      expect(`${promtool.stdout}${promtool.stderr}`).toBe('');
    },
    RENEWAL_TEST_TIMEOUT_MS,
  );

  it(
    're-reads the token file; keeps the old certificate while renewals fail, drops it at expiry, then recovers',
    async () => {
      const registry = new Registry();
      const path = join(dir.path, 'late-token');
      const identity = await start(WEB, path, registry);
      const failures = async (reason: string) => {
        const line = (await registry.metrics()).split('\n').find((l) => l.startsWith(`identity_certify_failures_total{reason="${reason}"}`));
        return line ? Number(line.split(' ')[1]) : 0;
      };
      await waitFor(async () => (await failures('token_unreadable')) >= 1);
      expect(identity.current()).toBeUndefined();
      await writeFile(path, await localToken('shop', 'web'));
      const first = await identity.ready();

      // A token for another ServiceAccount: the service refuses (PERMISSION_DENIED) every renewal.
      await writeFile(path, await localToken('shop', 'db'));
      await waitFor(async () => (await failures('refused')) >= 1, { timeoutMs: 10_000 });
      expect(identity.current()).toBe(first);
      await waitFor(() => identity.current() === undefined, { timeoutMs: 10_000 });
      expect(Date.now()).toBeGreaterThanOrEqual(first.notAfter.getTime());

      await writeFile(path, await localToken('shop', 'web'));
      await waitFor(() => identity.current() !== undefined, { timeoutMs: 70_000 });
      expect(identity.current()!.notAfter.getTime()).toBeGreaterThan(first.notAfter.getTime());
      await rm(path);
    },
    RENEWAL_TEST_TIMEOUT_MS + 60_000,
  );

  it("talks to the identity service over TLS only when its certificate carries the expected identity", async () => {
    const registry = new Registry();
    const impostor = await start(WEB, await tokenFile('svc-name-token', 'shop', 'web'), registry, {
      TRELLIS_IDENTITY_SVC_NAME: 'someone-else.trellis-system.serviceaccount.identity.cluster.local',
    });
    const unavailable = async () => {
      const line = (await registry.metrics()).split('\n').find((l) => l.startsWith('identity_certify_failures_total{reason="unavailable"}'));
      return line ? Number(line.split(' ')[1]) : 0;
    };
    await waitFor(async () => (await unavailable()) >= 1, { timeoutMs: 10_000 });
    expect(impostor.current()).toBeUndefined();
  });

  it('gives the data path what mTLS needs: TLS 1.3 both ways, peer identities, foreign anchors unverified', async () => {
    const web = await start(WEB, await tokenFile('web-token-2', 'shop', 'web'));
    const db = await start(DB, await tokenFile('db-token', 'shop', 'db'));
    const [, dbCert] = await Promise.all([web.ready(), db.ready()]);
    const foreign = await foreignLeaf(WEB);
    const seen: { identity: string | undefined; protocol: string | null }[] = [];
    const server = createServer({ ...secureContextOptions(dbCert), requestCert: true, rejectUnauthorized: false }, (socket) => {
      seen.push({ identity: peerIdentity(socket), protocol: socket.getProtocol() });
      socket.end('ok');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as AddressInfo).port;
    const dial = async (options: ConnectionOptions): Promise<TLSSocket> => {
      const socket = connect({ host: '127.0.0.1', port, servername: DB, ...options });
      await once(socket, 'secureConnect');
      socket.resume();
      await once(socket, 'end');
      return socket;
    };
    try {
      const contexts = new MeshTlsContexts(web, systemClock);
      const mutual = await dial({ secureContext: contexts.current()! });
      contexts.close();
      expect(mutual.getProtocol()).toBe('TLSv1.3');
      expect(mutual.authorized).toBe(true);
      expect(peerIdentity(mutual)).toBe(DB);
      // A client without a certificate, or with one from another anchor, gets TLS but no client identity.
      await dial({ ca: dbCert.trustAnchorsPem });
      await dial({ ca: dbCert.trustAnchorsPem, key: foreign.keyPem, cert: foreign.chainPem });
      await waitFor(() => seen.length === 3);
      expect(seen).toEqual([
        { identity: WEB, protocol: 'TLSv1.3' },
        { identity: undefined, protocol: 'TLSv1.3' },
        { identity: undefined, protocol: 'TLSv1.3' },
      ]);
      // A client that trusts only another anchor refuses the server.
      const refused = connect({ host: '127.0.0.1', port, servername: DB, ca: foreign.anchorPem });
      const [error] = (await once(refused, 'error')) as [Error & { code?: string }];
      expect(error.code).toBe('UNABLE_TO_GET_ISSUER_CERT_LOCALLY');
    } finally {
      server.close();
    }
  });

  it('closes idempotently: certificates$ completes and a pending ready() rejects', async () => {
    const identity = await start(WEB, join(dir.path, 'never-written'));
    const ready = identity.ready();
    let completed = false;
    identity.certificates$.subscribe({ complete: () => (completed = true) });
    await Promise.all([identity.close(), identity.close()]);
    await expect(ready).rejects.toThrow();
    expect(completed).toBe(true);
  });
});
