import { parseArgs } from 'node:util';
import {
  DEFAULT_CLOCK_SKEW_ALLOWANCE_MS,
  DEFAULT_LEAF_LIFETIME_MS,
  DEFAULT_TRUST_DOMAIN,
  identityServiceName,
  isDns1123Subdomain,
  parseIdentity,
  TOKEN_AUDIENCE,
} from '@trellis/identity';
import { DEFAULT_ADMIN_PORT, DEFAULT_GRPC_PORT } from './defaults';
import { parseDuration } from './duration';
import { IdentityServiceError } from './errors';

// Bind address for both servers: every interface, as a control plane in a cluster needs.
const DEFAULT_LISTEN_HOST = '0.0.0.0';
const DEFAULT_LOG_LEVEL = 'info';
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const VALIDATORS = ['kubernetes', 'local'] as const;
// Where deploy/control-plane mounts the issuer Secret (kubernetes.io/tls) and the trust anchor ConfigMap;
// Linkerd's identity controller reads the same keys (tls.crt, tls.key, ca-bundle.crt).
export const DEFAULT_ISSUER_CERTIFICATE = '/var/run/trellis/identity/issuer/tls.crt';
export const DEFAULT_ISSUER_KEY = '/var/run/trellis/identity/issuer/tls.key';
export const DEFAULT_TRUST_ANCHORS = '/var/run/trellis/identity/trust-roots/ca-bundle.crt';
// Shortest leaf lifetime accepted: tests use a few seconds; a proxy renews at 70 %. Source: ours.
const MIN_LIFETIME_MS = 1_000;
// Longest leaf lifetime accepted. Source: ours (a year; Linkerd's default is a day).
const MAX_LIFETIME_MS = 365 * 24 * 3_600_000;

export type LogLevel = (typeof LOG_LEVELS)[number];
export type ValidatorKind = (typeof VALIDATORS)[number];

export interface CliOptions {
  issuerCertificateFile: string;
  issuerKeyFile: string;
  trustAnchorsFile: string;
  trustDomain: string;
  serviceIdentity: string;
  tokenValidator: ValidatorKind;
  localTokenKeyFile: string | undefined;
  tokenAudience: string;
  certificateLifetimeMs: number;
  clockSkewAllowanceMs: number;
  grpcPort: number;
  adminPort: number;
  listenHost: string;
  logLevel: LogLevel;
}

export type CliResult = { kind: 'run'; options: CliOptions } | { kind: 'help'; text: string };

export const USAGE = `Usage: identity [flags]

Trellis identity service: Linkerd's Identity API (Certify) over gRPC. A proxy sends a ServiceAccount token and a
CSR for <sa>.<ns>.serviceaccount.identity.<trust-domain>; the service checks both and signs a short-lived leaf.

Flags:
  --issuer-certificate <file>     PEM issuer certificate, then any intermediates (default ${DEFAULT_ISSUER_CERTIFICATE})
  --issuer-key <file>             PEM private key of the issuer, ECDSA P-256 (default ${DEFAULT_ISSUER_KEY})
  --trust-anchors <file>          PEM bundle of trust anchors the issuer chains to (default ${DEFAULT_TRUST_ANCHORS})
  --trust-domain <domain>         trust domain of every identity (default ${DEFAULT_TRUST_DOMAIN})
  --service-identity <name>       identity of the TLS certificate Certify is served under, signed by the issuer;
                                  proxies check it (TRELLIS_IDENTITY_SVC_NAME) (default ${identityServiceName()},
                                  in the --trust-domain given)
  --token-validator kubernetes|local
                                  kubernetes: TokenReview on the API server (in-cluster or KUBECONFIG);
                                  local: HS256 tokens from the local runner (default kubernetes)
  --local-token-key <file>        key of the local runner's tokens (required with --token-validator local)
  --token-audience <aud>          audience the tokens must carry (default ${TOKEN_AUDIENCE})
  --certificate-lifetime <dur>    leaf lifetime, Go duration, 1s to 8760h (default 24h)
  --clock-skew-allowance <dur>    how far a leaf's notBefore is backdated (default 20s)
  --grpc-port <port>              gRPC port, 0 for an ephemeral one (default ${DEFAULT_GRPC_PORT})
  --admin-port <port>             admin HTTP port for /metrics, /ready, /live; 0 for ephemeral (default ${DEFAULT_ADMIN_PORT})
  --listen-host <address>         address both servers bind (default ${DEFAULT_LISTEN_HOST})
  --log-level <level>             ${LOG_LEVELS.join('|')} (default ${DEFAULT_LOG_LEVEL})
  --help                          print this help
`;

function flagError(message: string): IdentityServiceError {
  return new IdentityServiceError('IDENTITY_BAD_FLAG', `${message}\nRun with --help for usage.`);
}

function integer(name: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const value = /^[0-9]+$/.test(text) ? Number(text) : NaN;
  if (!(value >= min && value <= max)) throw flagError(`--${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(text)}`);
  return value;
}

function duration(name: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const value = parseDuration(text);
  if (value === undefined || value < min || value > max) {
    throw flagError(`--${name} must be a duration such as 24h, 90s or 1500ms, from ${min} ms to ${max} ms, got ${JSON.stringify(text)}`);
  }
  return value;
}

function oneOf<T extends string>(name: string, text: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(text)) {
    throw flagError(`--${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(text)}`);
  }
  return text as T;
}

function nonEmpty(name: string, text: string | undefined, fallback: string): string {
  const value = text ?? fallback;
  if (value === '') throw flagError(`--${name} must not be empty`);
  return value;
}

function parseIdentityOrUndefined(name: string): ReturnType<typeof parseIdentity> | undefined {
  try {
    return parseIdentity(name);
  } catch {
    return undefined;
  }
}

/** Parses and validates the command line; throws IdentityServiceError IDENTITY_BAD_FLAG with a clear message. */
export function parseCli(argv: readonly string[]): CliResult {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        'issuer-certificate': { type: 'string' },
        'issuer-key': { type: 'string' },
        'trust-anchors': { type: 'string' },
        'trust-domain': { type: 'string' },
        'service-identity': { type: 'string' },
        'token-validator': { type: 'string' },
        'local-token-key': { type: 'string' },
        'token-audience': { type: 'string' },
        'certificate-lifetime': { type: 'string' },
        'clock-skew-allowance': { type: 'string' },
        'grpc-port': { type: 'string' },
        'admin-port': { type: 'string' },
        'listen-host': { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean' },
      },
    }));
  } catch (err) {
    throw flagError((err as Error).message);
  }
  if (values.help) return { kind: 'help', text: USAGE };
  const str = (name: string) => values[name] as string | undefined;
  const trustDomain = str('trust-domain') ?? DEFAULT_TRUST_DOMAIN;
  if (!isDns1123Subdomain(trustDomain)) {
    throw flagError(`--trust-domain must be a lower-case DNS name such as ${DEFAULT_TRUST_DOMAIN}, got ${JSON.stringify(trustDomain)}`);
  }
  const serviceIdentity = str('service-identity') ?? identityServiceName(trustDomain);
  if (parseIdentityOrUndefined(serviceIdentity)?.trustDomain !== trustDomain) {
    throw flagError(`--service-identity must be <sa>.<ns>.serviceaccount.identity.${trustDomain}, got ${JSON.stringify(serviceIdentity)}`);
  }
  const tokenValidator = oneOf('token-validator', str('token-validator') ?? 'kubernetes', VALIDATORS);
  const localTokenKeyFile = str('local-token-key');
  if (tokenValidator === 'local' && !localTokenKeyFile) throw flagError('--token-validator local needs --local-token-key <file>');
  if (tokenValidator === 'kubernetes' && localTokenKeyFile !== undefined) {
    throw flagError('--local-token-key is only for --token-validator local');
  }
  return {
    kind: 'run',
    options: {
      issuerCertificateFile: nonEmpty('issuer-certificate', str('issuer-certificate'), DEFAULT_ISSUER_CERTIFICATE),
      issuerKeyFile: nonEmpty('issuer-key', str('issuer-key'), DEFAULT_ISSUER_KEY),
      trustAnchorsFile: nonEmpty('trust-anchors', str('trust-anchors'), DEFAULT_TRUST_ANCHORS),
      trustDomain,
      serviceIdentity,
      tokenValidator,
      localTokenKeyFile,
      tokenAudience: nonEmpty('token-audience', str('token-audience'), TOKEN_AUDIENCE),
      certificateLifetimeMs: duration('certificate-lifetime', str('certificate-lifetime'), DEFAULT_LEAF_LIFETIME_MS, MIN_LIFETIME_MS, MAX_LIFETIME_MS),
      clockSkewAllowanceMs: duration('clock-skew-allowance', str('clock-skew-allowance'), DEFAULT_CLOCK_SKEW_ALLOWANCE_MS, 0, MAX_LIFETIME_MS),
      grpcPort: integer('grpc-port', str('grpc-port'), DEFAULT_GRPC_PORT, 0, 65535),
      adminPort: integer('admin-port', str('admin-port'), DEFAULT_ADMIN_PORT, 0, 65535),
      listenHost: str('listen-host') ?? DEFAULT_LISTEN_HOST,
      logLevel: oneOf('log-level', str('log-level') ?? DEFAULT_LOG_LEVEL, LOG_LEVELS),
    },
  };
}
