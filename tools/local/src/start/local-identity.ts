import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatIdentity, signLocalToken, systemClock } from '@trellis/identity';
import { LocalError } from '../errors';
import type { Child } from '../process/child';
import { writeIdentityPki } from '../identity/pki';
import { COMPONENT_START_TIMEOUT_MS, throwIfAborted } from './control-plane';
import { LOCAL_SERVICE_ACCOUNT } from '../runner/endpoint-slices';

// Local mode's identity: `npm start` makes a trust anchor and an issuer in its temporary folder, runs the
// identity service with the `local` token validator on free ports, and plays the kubelet for the replicas'
// proxies: one HS256 token per namespace (every local workload runs as its namespace's `default`
// ServiceAccount), re-signed well before it expires.

/** Lifetime of a local token, ms. Source: ours (Kubernetes' projected tokens: 1 h by default). */
export const LOCAL_TOKEN_LIFETIME_MS = 60 * 60 * 1000;
/** Tokens are re-signed this often, ms: half their life, so a proxy never reads an expired one. Source: ours. */
export const LOCAL_TOKEN_REFRESH_MS = LOCAL_TOKEN_LIFETIME_MS / 2;
/** Bytes of the random HMAC key shared with the identity service. Source: RFC 7518 3.2 (>= 32). */
const TOKEN_KEY_BYTES = 32;
const POLL_INTERVAL_MS = 100;

export interface LocalIdentity {
  /** Arguments after `node <identity main.js>`. */
  readonly args: string[];
  /** Env for a proxy in `namespace`; its token file is written (asynchronously) on first use. */
  proxyEnv(namespace: string, addr: string): Record<string, string>;
  /** Stops re-signing tokens. Idempotent. */
  close(): void;
}

export async function prepareLocalIdentity(workDir: string, report: (message: string) => void): Promise<LocalIdentity> {
  const dir = join(workDir, 'identity');
  const { files } = await writeIdentityPki(dir);
  const tokenKeyFile = join(dir, 'local-token.key');
  const key = randomBytes(TOKEN_KEY_BYTES).toString('base64url');
  await writeFile(tokenKeyFile, key, { mode: 0o600 });
  await mkdir(join(dir, 'tokens'), { mode: 0o700 });
  const tokenFile = (namespace: string) => join(dir, 'tokens', `${namespace}.${LOCAL_SERVICE_ACCOUNT}.token`);
  const signed = new Map<string, Promise<void>>();
  const sign = (namespace: string) => {
    const writing = signLocalToken(
      { namespace, serviceAccount: LOCAL_SERVICE_ACCOUNT },
      { key: Buffer.from(key), clock: systemClock, lifetimeMs: LOCAL_TOKEN_LIFETIME_MS },
    ).then(
      (token) => writeFile(tokenFile(namespace), token, { mode: 0o600 }),
      (err: unknown) => report(`identity: cannot sign a token for ${namespace}: ${(err as Error).message}`),
    );
    signed.set(namespace, writing);
    return writing;
  };
  const refresh = setInterval(() => {
    for (const namespace of signed.keys()) void sign(namespace);
  }, LOCAL_TOKEN_REFRESH_MS);
  refresh.unref();
  return {
    args: [
      '--token-validator', 'local',
      '--local-token-key', tokenKeyFile,
      '--issuer-certificate', files.issuerCertificate,
      '--issuer-key', files.issuerKey,
      '--trust-anchors', files.anchorCertificate,
    ],
    proxyEnv: (namespace, addr) => {
      if (!signed.has(namespace)) void sign(namespace);
      return {
        TRELLIS_IDENTITY_ADDR: addr,
        TRELLIS_IDENTITY_TOKEN_FILE: tokenFile(namespace),
        TRELLIS_IDENTITY_TRUST_ANCHORS: files.anchorCertificate,
        TRELLIS_IDENTITY_NAME: formatIdentity({ serviceAccount: LOCAL_SERVICE_ACCOUNT, namespace }),
      };
    },
    close: () => clearInterval(refresh),
  };
}

/**
 * The identity service runs on free ports (so that several meshes can share a machine): waits for the `listening`
 * line in its log and returns its ports, failing early if it exits.
 */
export async function waitForIdentityPorts(
  child: Child,
  logFile: string,
  signal?: AbortSignal,
): Promise<{ grpcPort: number; adminPort: number }> {
  const deadline = Date.now() + COMPONENT_START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    throwIfAborted(signal);
    const text = await readFile(logFile, 'utf8').catch(() => '');
    const line = text.split('\n').find((l) => l.includes('"msg":"listening"'));
    if (line) return JSON.parse(line) as { grpcPort: number; adminPort: number };
    if (!child.running) throw new LocalError('LOCAL_SPAWN_FAILED', `identity exited before listening; see ${logFile}`);
    await new Promise((r) => setTimeout(r, POLL_INTERVAL_MS));
  }
  throw new LocalError('LOCAL_SPAWN_FAILED', `identity did not listen within ${COMPONENT_START_TIMEOUT_MS} ms; see ${logFile}`);
}
