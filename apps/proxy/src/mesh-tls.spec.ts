import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connect, type TLSSocket } from 'node:tls';
import { createTempDir, waitFor, type TempDir } from '@trellis/testing';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeDestination, type FakeDestination } from '@trellis/discovery/testing';
import { startIdentity, type ProxyIdentity } from './identity/index';
import { systemClock } from '@trellis/identity';
import { meshTls as meshTlsOf, type MeshTls } from './identity/mesh-tls';
import {
  buildIdentityService,
  foreignLeaf,
  localToken,
  spawnIdentityService,
  writeTestPki,
  type IdentityProcess,
  type TestPkiFiles,
} from './identity/testing/identity-process';
import { sendHttp2, startHarness as startInboundHarness, type Harness as InboundHarness } from './inbound/testing/harness';
import { startOutbound, type Outbound } from './outbound/index';
import { get, metric } from './outbound/testing/harness';

const SERVER_ID = 'web.shop.serviceaccount.identity.cluster.local';
const CLIENT_ID = 'client.shop.serviceaccount.identity.cluster.local';
const WEB = 'web.shop.svc.cluster.local:8080';
// Short certificates, so that the load test below spans several renewals (the proxy renews at 70 % of the life).
const LIFETIME = '4s';
const SPAWN_TIMEOUT_MS = 90_000;
const logger = pino({ level: 'silent' });

interface Echo {
  headers: Record<string, string | undefined>;
}

let dir: TempDir;
let pki: TestPkiFiles;
let identityService: IdentityProcess;
let destination: FakeDestination;
let serverIdentity: ProxyIdentity;
let clientIdentity: ProxyIdentity;
let server: InboundHarness;
let outbound: Outbound;
let outboundRegistry: Registry;
const meshTls: MeshTls[] = [];

async function certified(name: string, namespace: string, serviceAccount: string, registry: Registry): Promise<ProxyIdentity> {
  const tokenFile = join(dir.path, `${serviceAccount}.token`);
  await writeFile(tokenFile, await localToken(namespace, serviceAccount));
  const identity = await startIdentity({
    env: {
      TRELLIS_IDENTITY_ADDR: `127.0.0.1:${identityService.grpcPort}`,
      TRELLIS_IDENTITY_TOKEN_FILE: tokenFile,
      TRELLIS_IDENTITY_TRUST_ANCHORS: pki.trustAnchors,
      TRELLIS_IDENTITY_NAME: name,
    },
    registry,
    logger,
  });
  if (identity === undefined) throw new Error('identity is off');
  await identity.ready();
  return identity;
}

function tls(identity: ProxyIdentity): MeshTls {
  const m = meshTlsOf(identity, systemClock);
  meshTls.push(m);
  return m;
}

beforeAll(async () => {
  await buildIdentityService();
  dir = await createTempDir('trellis-mesh-tls-');
  pki = await writeTestPki(dir.path);
  identityService = await spawnIdentityService(pki, ['--certificate-lifetime', LIFETIME, '--clock-skew-allowance', '0s']);
  serverIdentity = await certified(SERVER_ID, 'shop', 'web', new Registry());
  clientIdentity = await certified(CLIENT_ID, 'shop', 'client', new Registry());
  server = await startInboundHarness({}, { meshTls: tls(serverIdentity) });
  destination = await startFakeDestination();
  destination.setEndpoints(WEB, [{ host: '127.0.0.1', port: server.inbound.ports.http, identity: SERVER_ID }]);
  outboundRegistry = new Registry();
  outbound = await startOutbound({
    env: { TRELLIS_OUTBOUND_ADDR: '127.0.0.1:0', TRELLIS_DESTINATION_ADDR: `127.0.0.1:${destination.port}`, TRELLIS_POLICY_PORT: String(destination.port) },
    registry: outboundRegistry,
    logger,
    meshTls: tls(clientIdentity),
  });
}, SPAWN_TIMEOUT_MS);

afterAll(async () => {
  await outbound?.close();
  await server?.close();
  await destination?.close();
  for (const m of meshTls) m.close();
  await Promise.all([serverIdentity?.close(), clientIdentity?.close()]);
  await identityService?.kill();
  await dir?.remove();
});

function echoThroughMesh(): Promise<{ status: number; echo: Echo }> {
  return get(outbound.address?.port ?? 0, 'web.shop:8080', '/echo').then((r) => ({ status: r.status, echo: JSON.parse(r.body) as Echo }));
}

/** Runs openssl (asynchronously: the proxies under test live in this process) and returns what it printed. */
function openssl(args: string[], input = ''): Promise<string> {
  return new Promise((resolve) => {
    const child = execFile('openssl', args, { encoding: 'utf8', timeout: 10_000 }, (_err, stdout, stderr) => resolve(`${stdout}${stderr}`));
    child.stdin?.end(input);
  });
}

/** A TLS client of our own, with or without a client certificate: what the inbound port does with it. */
function tlsClient(options: { key?: string; cert?: string }): Promise<{ socket: TLSSocket } | { error: Error }> {
  return new Promise((resolve) => {
    const socket = connect({
      host: '127.0.0.1',
      port: server.inbound.ports.http,
      servername: SERVER_ID,
      ca: pki.anchorPem,
      ALPNProtocols: ['http/1.1'],
      ...options,
    });
    socket.once('secureConnect', () => {
      // TLS 1.3 reports a refused client certificate after the handshake: wait for a request's answer.
      socket.write('GET /echo HTTP/1.1\r\nhost: web\r\nconnection: close\r\n\r\n');
      let answer = '';
      socket.on('data', (c: Buffer) => (answer += c.toString()));
      socket.once('close', () => resolve(answer.startsWith('HTTP/1.1 200') ? { socket } : { error: new Error(answer || 'closed without an answer') }));
    });
    socket.once('error', (error) => resolve({ error }));
  });
}

describe('mutual TLS between proxies', () => {
  it('carries a request over TLS 1.3, and the app learns the caller identity in l5d-client-id', async () => {
    const { status, echo } = await echoThroughMesh();
    expect(status).toBe(200);
    expect(echo.headers['l5d-client-id']).toBe(CLIENT_ID);
    const m = await server.registry.metrics();
    expect(metric(m, 'tcp_open_total', `tls="true",client_id="${CLIENT_ID}"`)).toBeGreaterThanOrEqual(1);
  });

  it('carries HTTP/2 over the same mutual TLS (ALPN h2)', async () => {
    const r = await sendHttp2(outbound.address?.port ?? 0, '/echo', { ':authority': 'web.shop:8080' });
    expect(r.status).toBe(200);
    expect((JSON.parse(r.body) as Echo).headers['l5d-client-id']).toBe(CLIENT_ID);
  });

  it('takes mTLS on the h2c port too (HTTP/2 inside)', async () => {
    destination.setEndpoints('web-h2c.shop.svc.cluster.local:8080', [{ host: '127.0.0.1', port: server.inbound.ports.h2c, identity: SERVER_ID }]);
    const r = await sendHttp2(outbound.address?.port ?? 0, '/echo', { ':authority': 'web-h2c.shop:8080' });
    expect(r.status).toBe(200);
    expect((JSON.parse(r.body) as Echo).headers['l5d-client-id']).toBe(CLIENT_ID);
  });

  it('serves the certificate of its identity, TLS 1.3 only, as an independent client (openssl) sees it', async () => {
    const target = `127.0.0.1:${server.inbound.ports.http}`;
    const verified = await openssl(['s_client', '-connect', target, '-servername', SERVER_ID, '-CAfile', pki.trustAnchors, '-verify_return_error', '-brief']);
    expect(verified).toMatch(/Protocol version: TLSv1\.3/);
    expect(verified).toMatch(/Verification: OK/);
    const shown = await openssl(['s_client', '-connect', target, '-servername', SERVER_ID, '-showcerts']);
    const leaf = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(shown)?.[0] ?? '';
    expect(await openssl(['x509', '-noout', '-ext', 'subjectAltName'], leaf)).toContain(`DNS:${SERVER_ID}`);
    expect(await openssl(['s_client', '-connect', target, '-tls1_2', '-brief'])).not.toMatch(/Protocol version: TLSv1\.2/);
  });

  it('serves a plaintext client on the same port, with no identity, and drops an l5d-client-id it sent', async () => {
    const r = await get(server.inbound.ports.http, 'web', '/echo', { headers: { 'l5d-client-id': CLIENT_ID } });
    expect(r.status).toBe(200);
    expect((JSON.parse(r.body) as Echo).headers['l5d-client-id']).toBeUndefined();
    expect(metric(await server.registry.metrics(), 'tcp_open_total', 'tls="no_identity"')).toBeGreaterThanOrEqual(1);
  });

  it('serves a TLS client without a certificate as anonymous, and refuses a certificate from another trust anchor', async () => {
    const anonymous = await tlsClient({});
    expect('socket' in anonymous).toBe(true);

    const leaf = await foreignLeaf(CLIENT_ID);
    const refused = await tlsClient({ key: leaf.keyPem, cert: leaf.chainPem });
    expect('error' in refused).toBe(true);
    await waitFor(async () => metric(await server.registry.metrics(), 'inbound_tls_refused_total', 'reason="untrusted_client_certificate"') >= 1);
  });

  it('keeps serving across certificate renewals on both sides without a failed request', async () => {
    const firstServer = serverIdentity.current()?.notAfter.getTime();
    const firstClient = clientIdentity.current()?.notAfter.getTime();
    const statuses = new Map<number, number>();
    const deadline = Date.now() + 9_000;
    while (Date.now() < deadline) {
      const burst = await Promise.all(Array.from({ length: 5 }, () => echoThroughMesh().catch(() => ({ status: 0 }))));
      for (const { status } of burst) statuses.set(status, (statuses.get(status) ?? 0) + 1);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(serverIdentity.current()?.notAfter.getTime()).toBeGreaterThan(firstServer ?? Infinity);
    expect(clientIdentity.current()?.notAfter.getTime()).toBeGreaterThan(firstClient ?? Infinity);
    expect([...statuses.keys()]).toEqual([200]);
    expect(metric(await outboundRegistry.metrics(), 'response_total', 'status_code="200"')).toBeGreaterThan(0);
  }, 30_000);
});
