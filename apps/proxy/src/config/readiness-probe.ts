import { ConfigError } from './errors';

/** Knative: the queue-proxy probes the app every 50 ms while it is not yet known to be ready. */
export const AGGRESSIVE_PROBE_INTERVAL_MS = 50;
/** Knative: each aggressive probe attempt times out after 100 ms. */
export const AGGRESSIVE_PROBE_ATTEMPT_TIMEOUT_MS = 100;
/** Knative: aggressive probing gives up after 10 s. */
export const AGGRESSIVE_PROBE_WINDOW_MS = 10_000;
/** Kubernetes default for Probe.timeoutSeconds, used once the app has been ready. */
export const DEFAULT_PROBE_TIMEOUT_MS = 1_000;

export type ProbeCheck =
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number }
  | {
      readonly kind: 'http';
      readonly host: string;
      readonly port: number;
      readonly path: string;
      readonly headers: ReadonlyArray<readonly [string, string]>;
    };

export interface ReadinessProbeConfig {
  /** Every check must pass for the app to be ready. */
  readonly checks: readonly ProbeCheck[];
  /** Probe.periodSeconds; 0 (Knative's default) keeps probing aggressive all the time. */
  readonly periodMs: number;
  /** Probe.timeoutSeconds for a single attempt once the app has been ready. */
  readonly timeoutMs: number;
}

const VARIABLE = 'SERVING_READINESS_PROBE';

function fail(message: string): never {
  throw new ConfigError(VARIABLE, message);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function portOf(value: unknown, userPort: number): number {
  if (value === undefined || value === 0 || value === '0') return userPort;
  const port = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    fail(`probe port ${JSON.stringify(value)} is not a port number (named ports are not supported)`);
  }
  return port;
}

function seconds(probe: Record<string, unknown>, field: string, fallbackMs: number): number {
  const value = probe[field];
  if (value === undefined) return fallbackMs;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    fail(`${field} must be a non-negative integer number of seconds`);
  }
  return value === 0 ? fallbackMs : value * 1000;
}

function checkOf(probe: Record<string, unknown>, appHost: string, userPort: number): ProbeCheck {
  const { tcpSocket, httpGet } = probe;
  if (isRecord(tcpSocket)) {
    return { kind: 'tcp', host: stringOr(tcpSocket.host, appHost), port: portOf(tcpSocket.port, userPort) };
  }
  if (isRecord(httpGet)) {
    const scheme = stringOr(httpGet.scheme, 'HTTP').toUpperCase();
    if (scheme !== 'HTTP') fail(`httpGet.scheme ${scheme} is not supported (only HTTP)`);
    const path = stringOr(httpGet.path, '/');
    if (!path.startsWith('/')) fail(`httpGet.path "${path}" must start with /`);
    return {
      kind: 'http',
      host: stringOr(httpGet.host, appHost),
      port: portOf(httpGet.port, userPort),
      path,
      headers: headersOf(httpGet.httpHeaders),
    };
  }
  if ('exec' in probe || 'grpc' in probe) fail('only tcpSocket and httpGet probes are supported');
  return fail('a probe needs tcpSocket or httpGet');
}

function stringOr(value: unknown, fallback: string): string {
  if (value === undefined || value === '') return fallback;
  if (typeof value !== 'string') fail(`expected a string, got ${JSON.stringify(value)}`);
  return value;
}

function headersOf(value: unknown): Array<readonly [string, string]> {
  if (value === undefined) return [];
  if (!Array.isArray(value)) fail('httpGet.httpHeaders must be a list of {name, value}');
  return value.map((header: unknown) => {
    if (!isRecord(header) || typeof header.name !== 'string' || typeof header.value !== 'string') {
      fail('httpGet.httpHeaders must be a list of {name, value}');
    }
    return [header.name, header.value] as const;
  });
}

/** The default Knative gives a revision without a readiness probe: TCP connect to the user port. */
export function defaultReadinessProbe(appHost: string, userPort: number): ReadinessProbeConfig {
  return { checks: [{ kind: 'tcp', host: appHost, port: userPort }], periodMs: 0, timeoutMs: DEFAULT_PROBE_TIMEOUT_MS };
}

/**
 * Parses Knative's SERVING_READINESS_PROBE: a Kubernetes Probe as JSON, or a JSON list of them (one per
 * container); the first probe's timing applies.
 */
export function parseReadinessProbe(text: string | undefined, appHost: string, userPort: number): ReadinessProbeConfig {
  if (text === undefined) return defaultReadinessProbe(appHost, userPort);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new ConfigError(VARIABLE, `not valid JSON: ${(cause as Error).message}`, { cause });
  }
  const probes = Array.isArray(parsed) ? parsed : [parsed];
  const first = probes[0];
  if (!isRecord(first)) fail('expected a probe object or a non-empty list of probe objects');
  const checks = probes.map((probe) => {
    if (!isRecord(probe)) fail('every probe must be an object');
    return checkOf(probe, appHost, userPort);
  });
  const periodSeconds = first.periodSeconds;
  if (periodSeconds !== undefined && (typeof periodSeconds !== 'number' || !Number.isInteger(periodSeconds) || periodSeconds < 0)) {
    fail('periodSeconds must be a non-negative integer');
  }
  return {
    checks,
    periodMs: typeof periodSeconds === 'number' ? periodSeconds * 1000 : 0,
    timeoutMs: seconds(first, 'timeoutSeconds', DEFAULT_PROBE_TIMEOUT_MS),
  };
}
