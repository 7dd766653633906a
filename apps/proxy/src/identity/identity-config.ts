import { readFileSync } from 'node:fs';
import {
  DEFAULT_TRUST_DOMAIN,
  formatIdentity,
  IdentityError,
  identityServiceName,
  parseIdentity,
  parseTrustAnchors,
} from '@trellis/identity';
import type { X509Certificate } from 'node:crypto';
import { type Env, readBoolean, readOptionalString, readString } from '../config/env';
import { ConfigError } from '../config/errors';

// The proxy's identity settings, named after Linkerd's (LINKERD2_PROXY_IDENTITY_*). Identity is on when
// TRELLIS_IDENTITY_ADDR is set and TRELLIS_IDENTITY_DISABLED is not true; then every other setting must be
// usable, or the proxy refuses to start (ConfigError, exit 2).

/** Where the projected ServiceAccount token is mounted. Source: Linkerd (/var/run/secrets/tokens/linkerd-identity-token). */
export const DEFAULT_TOKEN_FILE = '/var/run/secrets/tokens/trellis-identity-token';

export const IDENTITY_ENV = [
  { name: 'TRELLIS_IDENTITY_DISABLED', fallback: 'false', meaning: 'true: no workload identity (no certificate, no mTLS)' },
  { name: 'TRELLIS_IDENTITY_ADDR', fallback: '(none: identity off)', meaning: 'identity service gRPC host:port (Certify, over TLS)' },
  { name: 'TRELLIS_IDENTITY_SVC_NAME', fallback: identityServiceName(), meaning: "the identity service's identity, checked on its certificate (in this workload's trust domain)" },
  { name: 'TRELLIS_IDENTITY_TOKEN_FILE', fallback: DEFAULT_TOKEN_FILE, meaning: 'ServiceAccount token file, re-read for every Certify' },
  { name: 'TRELLIS_IDENTITY_TRUST_ANCHORS', fallback: '(required)', meaning: 'PEM file of the trust anchors' },
  { name: 'TRELLIS_IDENTITY_NAME', fallback: 'from SA and namespace', meaning: "this workload's identity, <sa>.<ns>.serviceaccount.identity.<trust-domain>" },
  { name: 'TRELLIS_IDENTITY_SERVICE_ACCOUNT', fallback: '(none)', meaning: 'ServiceAccount, when TRELLIS_IDENTITY_NAME is unset' },
  { name: 'TRELLIS_IDENTITY_NAMESPACE', fallback: 'SERVING_NAMESPACE', meaning: 'namespace, when TRELLIS_IDENTITY_NAME is unset' },
  { name: 'TRELLIS_IDENTITY_TRUST_DOMAIN', fallback: DEFAULT_TRUST_DOMAIN, meaning: 'trust domain, when TRELLIS_IDENTITY_NAME is unset' },
] as const;

export interface IdentityConfig {
  /** host:port of the identity service. */
  addr: string;
  tokenFile: string;
  /** This workload's identity name. */
  name: string;
  /** The identity the identity service's TLS certificate must carry. */
  svcName: string;
  trustAnchorsPem: string;
  trustAnchors: X509Certificate[];
}

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})$/;

function readAddr(env: Env): string | undefined {
  const addr = readOptionalString(env, 'TRELLIS_IDENTITY_ADDR');
  if (addr === undefined) return undefined;
  const match = HOST_PORT.exec(addr);
  if (!match || Number(match[2]) < 1 || Number(match[2]) > 65535) {
    throw new ConfigError('TRELLIS_IDENTITY_ADDR', `"${addr}" is not host:port (e.g. identity.trellis-system.svc.cluster.local:8080)`);
  }
  return addr;
}

function readName(env: Env): string {
  const explicit = readOptionalString(env, 'TRELLIS_IDENTITY_NAME');
  try {
    if (explicit !== undefined) {
      parseIdentity(explicit);
      return explicit;
    }
    const serviceAccount = readOptionalString(env, 'TRELLIS_IDENTITY_SERVICE_ACCOUNT');
    const namespace = readOptionalString(env, 'TRELLIS_IDENTITY_NAMESPACE') ?? readOptionalString(env, 'SERVING_NAMESPACE');
    if (serviceAccount === undefined || namespace === undefined) {
      throw new ConfigError(
        'TRELLIS_IDENTITY_NAME',
        'unset, and TRELLIS_IDENTITY_SERVICE_ACCOUNT with TRELLIS_IDENTITY_NAMESPACE (or SERVING_NAMESPACE) do not name one',
      );
    }
    return formatIdentity({ serviceAccount, namespace, trustDomain: readString(env, 'TRELLIS_IDENTITY_TRUST_DOMAIN', DEFAULT_TRUST_DOMAIN) });
  } catch (error) {
    if (error instanceof IdentityError) throw new ConfigError('TRELLIS_IDENTITY_NAME', error.message, { cause: error });
    throw error;
  }
}

function readSvcName(env: Env, name: string): string {
  const explicit = readOptionalString(env, 'TRELLIS_IDENTITY_SVC_NAME');
  try {
    if (explicit === undefined) return identityServiceName(parseIdentity(name).trustDomain);
    parseIdentity(explicit);
    return explicit;
  } catch (error) {
    if (error instanceof IdentityError) throw new ConfigError('TRELLIS_IDENTITY_SVC_NAME', error.message, { cause: error });
    throw error;
  }
}

function readTrustAnchors(env: Env): { trustAnchorsPem: string; trustAnchors: X509Certificate[] } {
  const file = readOptionalString(env, 'TRELLIS_IDENTITY_TRUST_ANCHORS');
  if (file === undefined) throw new ConfigError('TRELLIS_IDENTITY_TRUST_ANCHORS', 'required when TRELLIS_IDENTITY_ADDR is set (a PEM file)');
  let trustAnchorsPem: string;
  try {
    trustAnchorsPem = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError('TRELLIS_IDENTITY_TRUST_ANCHORS', `cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
  try {
    return { trustAnchorsPem, trustAnchors: parseTrustAnchors(trustAnchorsPem) };
  } catch (error) {
    throw new ConfigError('TRELLIS_IDENTITY_TRUST_ANCHORS', `${file}: ${(error as Error).message}`, { cause: error });
  }
}

/** The identity settings, or undefined when identity is off. Reads the trust anchor file; throws ConfigError. */
export function loadIdentityConfig(env: Env): IdentityConfig | undefined {
  if (readBoolean(env, 'TRELLIS_IDENTITY_DISABLED', false)) return undefined;
  const addr = readAddr(env);
  if (addr === undefined) return undefined;
  const name = readName(env);
  return {
    addr,
    tokenFile: readString(env, 'TRELLIS_IDENTITY_TOKEN_FILE', DEFAULT_TOKEN_FILE),
    name,
    svcName: readSvcName(env, name),
    ...readTrustAnchors(env),
  };
}
