import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  certificateToPem,
  certify,
  createCsr,
  createIssuer,
  createTrustAnchor,
  generateKeyPair,
  loadIssuer,
  privateKeyToPem,
  signLocalToken,
  systemClock,
} from '@trellis/identity';
import { bundleEntry } from '@trellis/testing';
import { randomBytes } from 'node:crypto';

// The real identity service (apps/identity), bundled once the way `nx build` does, run with local tokens.
const MAIN = fileURLToPath(new URL('../../../../identity/src/main.ts', import.meta.url));
const BUNDLE = fileURLToPath(new URL('../../../../../dist/test/proxy-identity/identity.mjs', import.meta.url));
const START_TIMEOUT_MS = 30_000;
/** The HMAC key the test plays local runner with. */
export const LOCAL_TOKEN_KEY = 'trellis-test-local-token-key-0123456789';

export async function buildIdentityService(): Promise<void> {
  await bundleEntry(MAIN, BUNDLE);
}

export interface TestPkiFiles {
  issuerCertificate: string;
  issuerKey: string;
  trustAnchors: string;
  tokenKey: string;
  anchorPem: string;
}

/** A trust anchor, an issuer and the local token key, written into `dir`. */
export async function writeTestPki(dir: string, prefix = ''): Promise<TestPkiFiles> {
  const random = (n: number) => randomBytes(n);
  const anchor = await createTrustAnchor({ clock: systemClock, random, commonName: `${prefix}root.test` });
  const issuer = await createIssuer(anchor, { clock: systemClock, random, commonName: `${prefix}issuer.test` });
  const files = {
    issuerCertificate: join(dir, `${prefix}issuer.crt`),
    issuerKey: join(dir, `${prefix}issuer.key`),
    trustAnchors: join(dir, `${prefix}anchors.crt`),
    tokenKey: join(dir, `${prefix}token.key`),
    anchorPem: anchor.certificatePem,
  };
  await writeFile(files.issuerCertificate, issuer.certificatePem);
  await writeFile(files.issuerKey, issuer.keyPem);
  await writeFile(files.trustAnchors, anchor.certificatePem);
  await writeFile(files.tokenKey, LOCAL_TOKEN_KEY);
  return files;
}

export function localToken(namespace: string, serviceAccount: string): Promise<string> {
  return signLocalToken({ namespace, serviceAccount }, { key: Buffer.from(LOCAL_TOKEN_KEY), clock: systemClock });
}

export interface IdentityProcess {
  grpcPort: number;
  child: ChildProcess;
  kill(): Promise<void>;
}

/** Spawns the identity service; resolves once it logs its ports. */
export async function spawnIdentityService(files: TestPkiFiles, extraArgs: string[] = []): Promise<IdentityProcess> {
  const child = spawn(
    process.execPath,
    [
      BUNDLE,
      '--issuer-certificate', files.issuerCertificate,
      '--issuer-key', files.issuerKey,
      '--trust-anchors', files.trustAnchors,
      '--token-validator', 'local',
      '--local-token-key', files.tokenKey,
      '--grpc-port', '0',
      '--admin-port', '0',
      '--listen-host', '127.0.0.1',
      ...extraArgs,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline && child.exitCode === null) {
    const line = stdout.split('\n').find((l) => l.includes('"msg":"listening"'));
    if (line !== undefined) return { grpcPort: (JSON.parse(line) as { grpcPort: number }).grpcPort, child, kill };
    await new Promise((r) => setTimeout(r, 50));
  }
  await kill();
  throw new Error(`identity service did not start (exit ${child.exitCode}): ${stderr} ${stdout}`);
}

/** A leaf for `name` under a fresh trust anchor that no proxy here trusts. */
export async function foreignLeaf(name: string): Promise<{ keyPem: string; chainPem: string; anchorPem: string }> {
  const random = (n: number) => randomBytes(n);
  const anchor = await createTrustAnchor({ clock: systemClock, random, commonName: 'foreign-root.test' });
  const issuer = await createIssuer(anchor, { clock: systemClock, random, commonName: 'foreign-issuer.test' });
  const loaded = await loadIssuer(
    { certificatePem: issuer.certificatePem, keyPem: issuer.keyPem, trustAnchorsPem: anchor.certificatePem },
    systemClock.now(),
  );
  const keys = await generateKeyPair();
  const leaf = await certify(loaded, { requestedIdentity: name, provenIdentity: name, csrDer: await createCsr(name, keys) }, { clock: systemClock, random });
  return {
    keyPem: await privateKeyToPem(keys.privateKey),
    chainPem: [leaf.leafDer, ...leaf.intermediatesDer].map(certificateToPem).join(''),
    anchorPem: anchor.certificatePem,
  };
}

