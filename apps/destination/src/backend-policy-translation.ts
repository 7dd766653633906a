import type { BackendPolicy, CircuitBreakers, HashKey, OutlierDetection } from '@trellis/proto';
import {
  DEFAULT_CIRCUIT_MAX_CONNECTIONS,
  DEFAULT_CIRCUIT_MAX_PENDING_REQUESTS,
  DEFAULT_CIRCUIT_MAX_REQUESTS,
  DEFAULT_CIRCUIT_MAX_RETRIES,
  DEFAULT_OUTLIER_BASE_EJECTION_MS,
  DEFAULT_OUTLIER_CONSECUTIVE_5XX,
  DEFAULT_OUTLIER_CONSECUTIVE_GATEWAY_ERRORS,
  DEFAULT_OUTLIER_INTERVAL_MS,
  DEFAULT_OUTLIER_MAX_EJECTION_MS,
  DEFAULT_OUTLIER_MAX_EJECTION_PERCENT,
} from './defaults';
import { nanosToDuration, parseGoDuration } from './go-duration';

// The Service annotations that choose a service's backend policy (docs/destination.md). Any annotation under
// these prefixes that is not one of the names below is reported as unknown (a typo would otherwise be silent).
export const ANNOTATION_PREFIXES = ['balancer.trellis.io/', 'outlier.trellis.io/', 'circuit-breaker.trellis.io/'] as const;
export const ANNOTATIONS = {
  algorithm: 'balancer.trellis.io/algorithm',
  hashKey: 'balancer.trellis.io/hash-key',
  consecutive5xx: 'outlier.trellis.io/consecutive-5xx',
  consecutiveGatewayErrors: 'outlier.trellis.io/consecutive-gateway-errors',
  interval: 'outlier.trellis.io/interval',
  baseEjectionTime: 'outlier.trellis.io/base-ejection-time',
  maxEjectionTime: 'outlier.trellis.io/max-ejection-time',
  maxEjectionPercent: 'outlier.trellis.io/max-ejection-percent',
  maxConnections: 'circuit-breaker.trellis.io/max-connections',
  maxPendingRequests: 'circuit-breaker.trellis.io/max-pending-requests',
  maxRequests: 'circuit-breaker.trellis.io/max-requests',
  maxRetries: 'circuit-breaker.trellis.io/max-retries',
} as const;
const KNOWN = new Set<string>(Object.values(ANNOTATIONS));

// The balancers of libs/balance the proxy can build (DESIGN.md: Linkerd's P2C over peak-EWMA, Envoy's others).
export const BALANCERS = ['peak-ewma', 'least-request', 'round-robin', 'random', 'ring-hash', 'maglev'] as const;
// RFC 9110 token: a header name; RFC 6265 makes a cookie name a token too.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Values longer than this are refused unparsed (ours: far above any valid value; keeps logs and keys small).
export const MAX_ANNOTATION_VALUE_CHARS = 256;
const DIGITS = /^[0-9]+$/;
// uint32 on the wire.
const MAX_UINT32 = 4_294_967_295;
const MAX_PERCENT = 100;
const NANOS_PER_MS = 1_000_000n;

/** One annotation ignored (its default applies), with why. */
export interface AnnotationProblem {
  annotation: string;
  reason: string;
}

export interface BackendPolicyTranslation {
  /** Undefined when the Service has none of the known annotations. */
  policy: BackendPolicy | undefined;
  problems: AnnotationProblem[];
}

type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = <T>(reason: string): Parsed<T> => ({ ok: false, reason });

/** The annotations under the Trellis backend-policy prefixes, sorted by name: what a change is judged on. */
export function backendPolicyAnnotations(annotations: Readonly<Record<string, unknown>> | undefined): [string, unknown][] {
  return Object.entries(annotations ?? {})
    .filter(([name]) => ANNOTATION_PREFIXES.some((prefix) => name.startsWith(prefix)))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function parseAlgorithm(text: string): Parsed<string> {
  return (BALANCERS as readonly string[]).includes(text)
    ? ok(text)
    : bad(`unknown algorithm ${JSON.stringify(text)}; expected one of ${BALANCERS.join(', ')}`);
}

function parseTokenName(kind: 'header' | 'cookie', name: string): Parsed<string> {
  if (!TOKEN.test(name)) return bad(`${JSON.stringify(name)} is not a valid ${kind} name`);
  return ok(name);
}

function parseHashKey(text: string): Parsed<HashKey> {
  if (text === 'source-ip') return ok({ source: { $case: 'sourceIp', value: true } });
  const header = /^header:(.*)$/s.exec(text);
  if (header) {
    const name = parseTokenName('header', header[1] ?? '');
    return name.ok ? ok({ source: { $case: 'header', value: name.value.toLowerCase() } }) : name;
  }
  const cookie = /^cookie:(.*)$/s.exec(text);
  if (cookie) {
    const name = parseTokenName('cookie', cookie[1] ?? '');
    return name.ok ? ok({ source: { $case: 'cookie', value: name.value } }) : name;
  }
  return bad(`malformed hash key ${JSON.stringify(text)}; expected header:<name>, cookie:<name> or source-ip`);
}

function parseInteger(text: string, min: number, max: number): Parsed<number> {
  if (!DIGITS.test(text)) return bad(`${JSON.stringify(text)} is not a non-negative integer`);
  const value = Number(text);
  if (value < min || value > max) return bad(`${text} is not between ${min} and ${max}`);
  return ok(value);
}

function parsePositiveDuration(text: string): Parsed<bigint> {
  const parsed = parseGoDuration(text);
  if (!parsed.ok) return bad(parsed.reason);
  if (parsed.nanos <= 0n) return bad(`duration ${JSON.stringify(text)} must be positive`);
  return ok(parsed.nanos);
}

/** Reads the annotations one by one; a bad value is left out (its default applies) and reported. */
class AnnotationReader {
  readonly problems: AnnotationProblem[] = [];

  constructor(private readonly annotations: Readonly<Record<string, unknown>>) {}

  read<T>(name: string, parse: (text: string) => Parsed<T>): T | undefined {
    if (!Object.hasOwn(this.annotations, name)) return undefined;
    const raw = this.annotations[name];
    if (typeof raw !== 'string') {
      this.problems.push({ annotation: name, reason: 'the value must be a string (quote it in YAML)' });
      return undefined;
    }
    if (raw.length > MAX_ANNOTATION_VALUE_CHARS) {
      this.problems.push({ annotation: name, reason: `the value is longer than ${MAX_ANNOTATION_VALUE_CHARS} characters` });
      return undefined;
    }
    const parsed = parse(raw);
    if (parsed.ok) return parsed.value;
    this.problems.push({ annotation: name, reason: parsed.reason });
    return undefined;
  }

  reject(name: string, reason: string): void {
    this.problems.push({ annotation: name, reason });
  }
}

function outlierDetection(r: AnnotationReader): OutlierDetection {
  const count = (text: string) => parseInteger(text, 0, MAX_UINT32);
  const base = r.read(ANNOTATIONS.baseEjectionTime, parsePositiveDuration) ?? BigInt(DEFAULT_OUTLIER_BASE_EJECTION_MS) * NANOS_PER_MS;
  // Envoy: without max_ejection_time, the larger of 300 s and base_ejection_time.
  const defaultMax = BigInt(DEFAULT_OUTLIER_MAX_EJECTION_MS) * NANOS_PER_MS;
  const fallbackMax = base > defaultMax ? base : defaultMax;
  let max = r.read(ANNOTATIONS.maxEjectionTime, parsePositiveDuration);
  if (max !== undefined && max < base) {
    r.reject(ANNOTATIONS.maxEjectionTime, `shorter than the base ejection time (${base / NANOS_PER_MS} ms)`);
    max = undefined;
  }
  return {
    consecutive5xx: r.read(ANNOTATIONS.consecutive5xx, count) ?? DEFAULT_OUTLIER_CONSECUTIVE_5XX,
    consecutiveGatewayErrors: r.read(ANNOTATIONS.consecutiveGatewayErrors, count) ?? DEFAULT_OUTLIER_CONSECUTIVE_GATEWAY_ERRORS,
    interval: nanosToDuration(r.read(ANNOTATIONS.interval, parsePositiveDuration) ?? BigInt(DEFAULT_OUTLIER_INTERVAL_MS) * NANOS_PER_MS),
    baseEjectionTime: nanosToDuration(base),
    maxEjectionTime: nanosToDuration(max ?? fallbackMax),
    maxEjectionPercent: r.read(ANNOTATIONS.maxEjectionPercent, (text) => parseInteger(text, 0, MAX_PERCENT)) ?? DEFAULT_OUTLIER_MAX_EJECTION_PERCENT,
  };
}

function circuitBreakers(r: AnnotationReader): CircuitBreakers {
  const limit = (text: string) => parseInteger(text, 1, MAX_UINT32);
  return {
    maxConnections: r.read(ANNOTATIONS.maxConnections, limit) ?? DEFAULT_CIRCUIT_MAX_CONNECTIONS,
    maxPendingRequests: r.read(ANNOTATIONS.maxPendingRequests, limit) ?? DEFAULT_CIRCUIT_MAX_PENDING_REQUESTS,
    maxRequests: r.read(ANNOTATIONS.maxRequests, limit) ?? DEFAULT_CIRCUIT_MAX_REQUESTS,
    maxRetries: r.read(ANNOTATIONS.maxRetries, limit) ?? DEFAULT_CIRCUIT_MAX_RETRIES,
  };
}

/**
 * A Service's annotations → its BackendPolicy. None of the known annotations: no policy (the profile stays as
 * Linkerd's). Any of them: every field filled, from the annotation or its default (Envoy's); the balancer is ""
 * (the proxy's default) and the hash key unset unless annotated. Pure; never throws.
 */
export function translateBackendPolicy(annotations: Readonly<Record<string, unknown>> | undefined): BackendPolicyTranslation {
  const present = backendPolicyAnnotations(annotations);
  const reader = new AnnotationReader(Object.fromEntries(present));
  for (const [name] of present) {
    if (!KNOWN.has(name)) reader.reject(name, `unknown annotation; known: ${[...KNOWN].join(', ')}`);
  }
  if (!present.some(([name]) => KNOWN.has(name))) return { policy: undefined, problems: reader.problems };
  const policy: BackendPolicy = {
    balancer: reader.read(ANNOTATIONS.algorithm, parseAlgorithm) ?? '',
    outlierDetection: outlierDetection(reader),
    circuitBreakers: circuitBreakers(reader),
  };
  const hashKey = reader.read(ANNOTATIONS.hashKey, parseHashKey);
  if (hashKey) policy.hashKey = hashKey;
  return { policy, problems: reader.problems };
}
