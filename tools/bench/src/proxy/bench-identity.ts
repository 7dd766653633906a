import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createIssuer, createTrustAnchor, DEFAULT_TRUST_DOMAIN, formatIdentity, signLocalToken, systemClock } from '@trellis/identity';

// The mTLS variant's identity: a fresh trust anchor and issuer in the slot's work dir, the identity service with the
// `local` (HS256) token validator, and one token for the bench namespace's `default` ServiceAccount that every proxy
// presents. A minimal copy of tools/local/src/start/local-identity.ts and identity/pki.ts: both tools are Nx
// applications, and @nx/enforce-module-boundaries forbids importing an application, so only @trellis/identity
// (a lib) is shared.

/** Every bench proxy runs as this ServiceAccount (a pod without serviceAccountName runs as `default`). */
export const BENCH_SERVICE_ACCOUNT = 'default';
/** Bytes of the random HMAC key shared with the identity service. Source: RFC 7518 3.2 (>= 32). */
const TOKEN_KEY_BYTES = 32;

export interface BenchIdentityFiles {
  readonly anchorCertificate: string;
  readonly issuerCertificate: string;
  readonly issuerKey: string;
  readonly tokenKey: string;
  readonly token: string;
}

/** Arguments of the identity service (apps/identity/src/cli.ts): loopback only, local tokens, the given PKI. */
export function identityServiceArgs(files: BenchIdentityFiles, grpcPort: number, adminPort: number): string[] {
  return [
    '--token-validator', 'local',
    '--local-token-key', files.tokenKey,
    '--issuer-certificate', files.issuerCertificate,
    '--issuer-key', files.issuerKey,
    '--trust-anchors', files.anchorCertificate,
    '--grpc-port', String(grpcPort),
    '--admin-port', String(adminPort),
    '--listen-host', '127.0.0.1',
  ];
}

/** The env that turns a proxy's identity on (docs/identity.md), as `serviceAccount` in `namespace`. */
export function identityProxyEnv(files: BenchIdentityFiles, identityPort: number, namespace: string): Record<string, string> {
  return {
    TRELLIS_IDENTITY_ADDR: `127.0.0.1:${identityPort}`,
    TRELLIS_IDENTITY_TOKEN_FILE: files.token,
    TRELLIS_IDENTITY_TRUST_ANCHORS: files.anchorCertificate,
    TRELLIS_IDENTITY_NAME: formatIdentity({ serviceAccount: BENCH_SERVICE_ACCOUNT, namespace }),
  };
}

/** Writes the PKI, the token key and a token for `namespace`/BENCH_SERVICE_ACCOUNT into `dir`. */
export async function writeBenchIdentity(dir: string, namespace: string): Promise<BenchIdentityFiles> {
  const random = (n: number) => randomBytes(n);
  // The common names tools/local/src/identity/pki.ts gives (Linkerd's root.linkerd.<domain>, identity.linkerd.<domain>).
  const anchor = await createTrustAnchor({ clock: systemClock, random, commonName: `root.trellis.${DEFAULT_TRUST_DOMAIN}` });
  const issuer = await createIssuer(anchor, { clock: systemClock, random, commonName: `identity.trellis.${DEFAULT_TRUST_DOMAIN}` });
  const key = randomBytes(TOKEN_KEY_BYTES).toString('base64url');
  const token = await signLocalToken({ namespace, serviceAccount: BENCH_SERVICE_ACCOUNT }, { key: Buffer.from(key), clock: systemClock });
  const files: BenchIdentityFiles = {
    anchorCertificate: path.join(dir, 'ca-bundle.crt'),
    issuerCertificate: path.join(dir, 'issuer.crt'),
    issuerKey: path.join(dir, 'issuer.key'),
    tokenKey: path.join(dir, 'local-token.key'),
    token: path.join(dir, `${namespace}.${BENCH_SERVICE_ACCOUNT}.token`),
  };
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(files.anchorCertificate, anchor.certificatePem);
  await writeFile(files.issuerCertificate, issuer.certificatePem);
  await writeFile(files.issuerKey, issuer.keyPem, { mode: 0o600 });
  await writeFile(files.tokenKey, key, { mode: 0o600 });
  await writeFile(files.token, token, { mode: 0o600 });
  return files;
}

/**
 * Connections an inbound proxy opened, from its :9091 text: `tcp_open_total` samples by their `tls` label
 * (`"true"` with a `client_id` for mTLS, `"no_identity"` for plaintext; apps/proxy/src/inbound/mesh-tls-metrics.ts).
 * TLS without a client certificate counts as neither.
 */
export function inboundConnectionsByTls(metrics: string): { mtls: number; plaintext: number } {
  const counts = { mtls: 0, plaintext: 0 };
  for (const line of metrics.split('\n')) {
    const match = /^tcp_open_total\{([^}]*)\}\s+(\S+)/.exec(line);
    const [labels, value] = [match?.[1] ?? '', Number(match?.[2])];
    if (!labels.includes('direction="inbound"')) continue;
    if (labels.includes('tls="true"') && !labels.includes('client_id=""')) counts.mtls += value;
    else if (labels.includes('tls="no_identity"')) counts.plaintext += value;
  }
  return counts;
}
