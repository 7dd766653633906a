import type { ChildProcess } from 'node:child_process';
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
import { bundleEntry, spawnBundled } from '@trellis/testing';
import { randomBytes } from 'node:crypto';

// The real identity service (apps/identity), bundled once the way `nx build` does, run with local tokens.
const MAIN = fileURLToPath(new URL('../../../../identity/src/main.ts', import.meta.url));
const BUNDLE = fileURLToPath(new URL('../../../../../dist/test/proxy-identity/identity.mjs', import.meta.url));
/** Ours: how long the identity service may take to log its ports, in milliseconds. */
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
  const { ready, child, kill } = await spawnBundled<{ grpcPort: number }>({
    name: 'identity service',
    bundle: BUNDLE,
    buildWith: 'buildIdentityService() (apps/proxy/src/identity/testing/identity-process.ts)',
    args: [
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
    readyMessage: 'listening',
    startTimeoutMs: START_TIMEOUT_MS,
  });
  return { grpcPort: ready.grpcPort, child, kill };
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

