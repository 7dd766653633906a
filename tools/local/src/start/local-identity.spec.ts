import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { credentials, status } from '@grpc/grpc-js';
import { createCsr, generateKeyPair, identityServiceName } from '@trellis/identity';
import { IdentityClient, type CertifyResponse } from '@trellis/proto';
import { createTempDir, waitFor, type TempDir } from '@trellis/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnChild, type Child } from '../process/child';
import { BUILT_FILES } from './local-mesh';
import { prepareLocalIdentity, waitForIdentityPorts, type LocalIdentity } from './local-identity';

// The built identity service (dist/, made by `nx run local:test`'s dependencies) with what `npm start` prepares.
const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', '..');

let dir: TempDir;
let identity: LocalIdentity;
let child: Child;
let addr: string;
let client: IdentityClient;

beforeAll(async () => {
  dir = await createTempDir('trellis-local-identity-');
  identity = await prepareLocalIdentity(dir.path, () => undefined);
  const logFile = join(dir.path, 'identity.log');
  child = spawnChild({
    name: 'identity',
    command: ['node', BUILT_FILES.identity, ...identity.args, '--listen-host', '127.0.0.1', '--grpc-port', '0', '--admin-port', '0'],
    env: {},
    cwd: ROOT,
    output: { file: logFile },
  });
  const ports = await waitForIdentityPorts(child, logFile);
  addr = `127.0.0.1:${ports.grpcPort}`;
  // As a proxy does: TLS, the service's certificate checked against the anchors for the identity service's name.
  const anchors = await readFile(identity.proxyEnv('default', addr).TRELLIS_IDENTITY_TRUST_ANCHORS!);
  client = new IdentityClient(addr, credentials.createSsl(anchors), {
    'grpc.ssl_target_name_override': identityServiceName(),
    'grpc.default_authority': identityServiceName(),
  });
});

afterAll(async () => {
  client?.close();
  identity?.close();
  await child?.stop(5_000);
  await dir?.remove();
});

function certify(name: string, token: string, csr: Uint8Array): Promise<{ error?: { code: number }; response?: CertifyResponse }> {
  return new Promise((done) => {
    client.certify({ identity: name, token: Buffer.from(token), certificateSigningRequest: Buffer.from(csr) }, (error, response) =>
      done(error ? { error } : { response }),
    );
  });
}

describe('local identity (npm start)', () => {
  it("gives a namespace's proxies a token and trust anchors that the identity service certifies", async () => {
    const env = identity.proxyEnv('demo', addr);
    expect(env.TRELLIS_IDENTITY_NAME).toBe('default.demo.serviceaccount.identity.cluster.local');
    expect(env.TRELLIS_IDENTITY_ADDR).toBe(addr);
    const token = await waitFor(() => readFile(env.TRELLIS_IDENTITY_TOKEN_FILE!, 'utf8').catch(() => undefined));
    const name = env.TRELLIS_IDENTITY_NAME!;
    const { response } = await certify(name, token, await createCsr(name, await generateKeyPair()));
    expect(new X509Certificate(response!.leafCertificate).subjectAltName).toBe(`DNS:${name}`);
    const issuer = new X509Certificate(response!.intermediateCertificates[0]!);
    expect(issuer.checkIssued(new X509Certificate(await readFile(env.TRELLIS_IDENTITY_TRUST_ANCHORS!, 'utf8')))).toBe(true);
  });

  it("refuses one namespace's token for another namespace's identity", async () => {
    const demo = identity.proxyEnv('demo', addr);
    const token = await waitFor(() => readFile(demo.TRELLIS_IDENTITY_TOKEN_FILE!, 'utf8').catch(() => undefined));
    const other = identity.proxyEnv('other', addr).TRELLIS_IDENTITY_NAME!;
    const { error } = await certify(other, token, await createCsr(other, await generateKeyPair()));
    expect(error?.code).toBe(status.PERMISSION_DENIED);
  });
});
