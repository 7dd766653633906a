import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { systemClock } from '@trellis/identity';
import { createTempDir, type TempDir } from '@trellis/testing';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeDestination, type FakeDestination } from '@trellis/discovery/testing';
import { startIdentity, type ProxyIdentity } from '../identity/index';
import { meshTls as meshTlsOf, type MeshTls } from '../identity/mesh-tls';
import { buildIdentityService, localToken, spawnIdentityService, writeTestPki, type IdentityProcess, type TestPkiFiles } from '../identity/testing/identity-process';
import { startOutbound, type Outbound } from '../outbound/index';
import { get, metric } from '../outbound/testing/harness';
import { startHarness, until, type Harness } from './testing/harness';
import { ipv4Network, serverPolicy, startFakePolicyServer, type FakePolicyServer } from './testing/policy-server';

const SERVER_ID = 'web.shop.serviceaccount.identity.cluster.local';
const CLIENT_ID = 'client.shop.serviceaccount.identity.cluster.local';
const OTHER_ID = 'other.shop.serviceaccount.identity.cluster.local';
const WEB = 'web.shop.svc.cluster.local:8080';
const SPAWN_TIMEOUT_MS = 90_000;
const logger = pino({ level: 'silent' });

let dir: TempDir;
let pki: TestPkiFiles;
let identityService: IdentityProcess;
let destination: FakeDestination;
let policy: FakePolicyServer;
let server: Harness;
const identities: ProxyIdentity[] = [];
const meshTls: MeshTls[] = [];
const outbounds: Outbound[] = [];
let client: Outbound;
let other: Outbound;

async function certified(name: string, serviceAccount: string): Promise<MeshTls> {
  const tokenFile = join(dir.path, `${serviceAccount}.token`);
  await writeFile(tokenFile, await localToken('shop', serviceAccount));
  const identity = await startIdentity({
    env: {
      TRELLIS_IDENTITY_ADDR: `127.0.0.1:${identityService.grpcPort}`,
      TRELLIS_IDENTITY_TOKEN_FILE: tokenFile,
      TRELLIS_IDENTITY_TRUST_ANCHORS: pki.trustAnchors,
      TRELLIS_IDENTITY_NAME: name,
    },
    registry: new Registry(),
    logger,
  });
  if (identity === undefined) throw new Error('identity is off');
  await identity.ready();
  identities.push(identity);
  const m = meshTlsOf(identity, systemClock);
  meshTls.push(m);
  return m;
}

async function outboundAs(tls: MeshTls): Promise<Outbound> {
  const o = await startOutbound({
    env: { TRELLIS_OUTBOUND_ADDR: '127.0.0.1:0', TRELLIS_DESTINATION_ADDR: `127.0.0.1:${destination.port}` },
    registry: new Registry(),
    logger,
    meshTls: tls,
  });
  outbounds.push(o);
  return o;
}

/** Only CLIENT_ID may call, from anywhere; each identity gets 5 requests/s, CLIENT_ID 15 (an override). */
const onlyClient = serverPolicy({
  name: 'web-http',
  authz: 'client-only',
  networks: [ipv4Network('0.0.0.0', 0)],
  permit: { $case: 'meshTLS', value: { clients: { $case: 'identities', value: { identities: [{ name: CLIENT_ID }], suffixes: [] } } } },
});
const wholeNamespace = serverPolicy({
  name: 'web-http',
  authz: 'shop',
  networks: [ipv4Network('0.0.0.0', 0)],
  permit: { $case: 'meshTLS', value: { clients: { $case: 'identities', value: { identities: [], suffixes: [{ parts: ['shop', 'serviceaccount', 'identity', 'cluster', 'local'] }] } } } },
  rateLimit: { identity: { requestsPerSecond: 5 }, overrides: [{ limit: { requestsPerSecond: 15 }, clients: { identities: [{ name: CLIENT_ID }] } }] },
});

beforeAll(async () => {
  await buildIdentityService();
  dir = await createTempDir('trellis-policy-mesh-');
  pki = await writeTestPki(dir.path);
  identityService = await spawnIdentityService(pki);
  policy = await startFakePolicyServer();
  policy.push(onlyClient);
  server = await startHarness({ TRELLIS_POLICY_ADDR: `127.0.0.1:${policy.port}`, TRELLIS_DEFAULT_INBOUND_POLICY: 'deny' }, { meshTls: await certified(SERVER_ID, 'web') });
  await until(async () => metric(await server.registry.metrics(), 'inbound_policy_updates_applied_total', 'source="server"') >= 1, 10_000, 'the first policy');
  destination = await startFakeDestination();
  destination.setEndpoints(WEB, [{ host: '127.0.0.1', port: server.inbound.ports.http, identity: SERVER_ID }]);
  client = await outboundAs(await certified(CLIENT_ID, 'client'));
  other = await outboundAs(await certified(OTHER_ID, 'other'));
}, SPAWN_TIMEOUT_MS);

afterAll(async () => {
  await Promise.all(outbounds.map((o) => o.close()));
  await server?.close();
  await policy?.close();
  await destination?.close();
  for (const m of meshTls) m.close();
  await Promise.all(identities.map((i) => i.close()));
  await identityService?.kill();
  await dir?.remove();
});

function viaMesh(outbound: Outbound) {
  return get(outbound.address?.port ?? 0, 'web.shop:8080', '/echo');
}

describe('inbound policy over mutual TLS', () => {
  it('lets the authorized identity in, answers another mesh identity and a plaintext caller 403', async () => {
    const allowed = await viaMesh(client);
    expect(allowed.status).toBe(200);
    expect((JSON.parse(allowed.body) as { headers: Record<string, string> }).headers['l5d-client-id']).toBe(CLIENT_ID);

    const denied = await viaMesh(other);
    expect(denied.status).toBe(403);
    expect(denied.headers['l5d-proxy-error']).toBe('unauthorized request on route');

    const plaintext = await get(server.inbound.ports.http, 'web', '/echo');
    expect(plaintext.status).toBe(403);

    const text = await server.registry.metrics();
    expect(metric(text, 'inbound_http_authz_allow_total', `srv_name="web-http",authz_name="client-only",tls="true",client_id="${CLIENT_ID}"`)).toBe(1);
    expect(metric(text, 'inbound_http_authz_deny_total', `srv_name="web-http",tls="true",client_id="${OTHER_ID}"`)).toBe(1);
    expect(metric(text, 'inbound_http_authz_deny_total', 'srv_name="web-http",tls="no_identity"')).toBe(1);
  });

  it('limits each identity to its own rate, the override above the default', async () => {
    policy.push(wholeNamespace);
    await until(async () => (await viaMesh(other)).status === 200, 5_000, 'the namespace-wide policy');
    const REQUESTS = 40;
    const admitted = { client: 0, other: 0 };
    const started = performance.now();
    for (let i = 0; i < REQUESTS; i += 4) {
      const [c, o] = await Promise.all([
        Promise.all(Array.from({ length: 4 }, () => viaMesh(client))),
        Promise.all(Array.from({ length: 4 }, () => viaMesh(other))),
      ]);
      admitted.client += c.filter((r) => r.status === 200).length;
      admitted.other += o.filter((r) => r.status === 200).length;
      expect([...c, ...o].every((r) => r.status === 200 || (r.status === 429 && r.headers['retry-after'] !== undefined))).toBe(true);
    }
    const seconds = (performance.now() - started) / 1000;
    // Each bucket holds one second of its rate and refills at that rate: burst <= admitted <= burst + rate x time
    // (the other identity spent up to one token on the request that saw the policy change).
    expect(admitted.other).toBeGreaterThanOrEqual(4);
    expect(admitted.other).toBeLessThanOrEqual(5 + Math.ceil(5 * seconds) + 1);
    expect(admitted.client).toBeGreaterThanOrEqual(15);
    expect(admitted.client).toBeLessThanOrEqual(15 + Math.ceil(15 * seconds) + 1);
    const text = await server.registry.metrics();
    expect(metric(text, 'inbound_http_local_ratelimit_rate_limited_total', `scope="identity",tls="true",client_id="${OTHER_ID}"`)).toBe(REQUESTS - admitted.other);
    expect(metric(text, 'inbound_http_local_ratelimit_rate_limited_total', `scope="override",tls="true",client_id="${CLIENT_ID}"`)).toBe(REQUESTS - admitted.client);
  });
});
