import type { Duration, FailureAccrual } from '@trellis/proto';
import type { AnnotationProblem } from './backend-policy-translation';
import { MAX_ANNOTATION_VALUE_CHARS } from './backend-policy-translation';
import {
  POLICY_ACCRUAL_JITTER_RATIO,
  POLICY_ACCRUAL_MAX_FAILURES,
  POLICY_ACCRUAL_MAX_PENALTY_MS,
  POLICY_ACCRUAL_MIN_PENALTY_MS,
  POLICY_RETRY_DEFAULT_LIMIT,
} from './defaults';
import { nanosToDuration, parseGoDuration } from './go-duration';

// Linkerd's retry, timeout and failure-accrual annotations (linkerd.io/2/reference/retries, .../timeouts,
// .../circuit-breaking). Retry and timeout annotations go on a Service or on a route whose parent it is; a
// route that has any annotation of a group overrides every annotation of that group on the Service.
export const ROUTE_ANNOTATIONS = {
  retryHttp: 'retry.linkerd.io/http',
  retryGrpc: 'retry.linkerd.io/grpc',
  retryLimit: 'retry.linkerd.io/limit',
  retryTimeout: 'retry.linkerd.io/timeout',
  timeoutRequest: 'timeout.linkerd.io/request',
  timeoutResponse: 'timeout.linkerd.io/response',
  timeoutIdle: 'timeout.linkerd.io/idle',
} as const;

export const ACCRUAL_ANNOTATIONS = {
  kind: 'balancer.linkerd.io/failure-accrual',
  maxFailures: 'balancer.linkerd.io/failure-accrual-consecutive-max-failures',
  minPenalty: 'balancer.linkerd.io/failure-accrual-consecutive-min-penalty',
  maxPenalty: 'balancer.linkerd.io/failure-accrual-consecutive-max-penalty',
  jitterRatio: 'balancer.linkerd.io/failure-accrual-consecutive-jitter-ratio',
} as const;

/** gRPC codes retry.linkerd.io/grpc may name, with their numbers (the proto's Conditions field numbers). */
export const GRPC_RETRY_CODES = {
  cancelled: 1,
  'deadline-exceeded': 4,
  'resource-exhausted': 8,
  internal: 13,
  unavailable: 14,
} as const;

export type GrpcRetryCode = keyof typeof GRPC_RETRY_CODES;

export interface StatusRange {
  start: number;
  end: number;
}

export interface TimeoutAnnotations {
  request?: Duration;
  response?: Duration;
  idle?: Duration;
}

export interface RetryAnnotations {
  /** Undefined: the annotation is absent. */
  http?: StatusRange[];
  grpc?: GrpcRetryCode[];
  limit: number;
  timeout?: Duration;
}

export interface RouteAnnotations {
  /** Undefined when no timeout annotation is present (so the Service's apply). */
  timeouts?: TimeoutAnnotations;
  /** Undefined when no retry annotation is present. */
  retry?: RetryAnnotations;
  problems: AnnotationProblem[];
}

type Annotations = Readonly<Record<string, unknown>> | undefined;

const MIN_STATUS = 100;
const MAX_STATUS = 599;
const MAX_RETRY_LIMIT = 4_294_967_295;
const NANOS_PER_MS = 1_000_000n;

function text(annotations: Annotations, name: string, problems: AnnotationProblem[]): string | undefined {
  const value = annotations?.[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') {
    problems.push({ annotation: name, reason: 'must be a string' });
    return undefined;
  }
  if (value.length > MAX_ANNOTATION_VALUE_CHARS) {
    problems.push({ annotation: name, reason: `longer than ${MAX_ANNOTATION_VALUE_CHARS} characters` });
    return undefined;
  }
  return value.trim();
}

/** A positive Go duration ("0s" and absence both mean none). */
function duration(annotations: Annotations, name: string, problems: AnnotationProblem[]): Duration | undefined {
  const value = text(annotations, name, problems);
  if (value === undefined) return undefined;
  const parsed = parseGoDuration(value);
  if (!parsed.ok) {
    problems.push({ annotation: name, reason: parsed.reason });
    return undefined;
  }
  if (parsed.nanos < 0n) {
    problems.push({ annotation: name, reason: `negative duration ${JSON.stringify(value)}` });
    return undefined;
  }
  return parsed.nanos === 0n ? undefined : nanosToDuration(parsed.nanos);
}

/** `504`, `500-504`, `gateway-error` (502-504) or `5xx`, comma-separated. */
function statusRanges(value: string): StatusRange[] | string {
  const ranges: StatusRange[] = [];
  for (const raw of value.split(',')) {
    const item = raw.trim().toLowerCase();
    if (item === '5xx') ranges.push({ start: 500, end: 599 });
    else if (item === 'gateway-error') ranges.push({ start: 502, end: 504 });
    else {
      const match = /^([0-9]{3})(?:-([0-9]{3}))?$/.exec(item);
      const start = Number(match?.[1]);
      const end = Number(match?.[2] ?? match?.[1]);
      if (!match || start < MIN_STATUS || end > MAX_STATUS || start > end) {
        return `${JSON.stringify(raw.trim())} is not a status, a range such as 500-504, gateway-error or 5xx`;
      }
      ranges.push({ start, end });
    }
  }
  return ranges;
}

function grpcCodes(value: string): GrpcRetryCode[] | string {
  const codes: GrpcRetryCode[] = [];
  for (const raw of value.split(',')) {
    const item = raw.trim().toLowerCase();
    if (!(item in GRPC_RETRY_CODES)) return `${JSON.stringify(raw.trim())} is not one of ${Object.keys(GRPC_RETRY_CODES).join(', ')}`;
    codes.push(item as GrpcRetryCode);
  }
  return codes;
}

function parseRetry(annotations: Annotations, problems: AnnotationProblem[]): RetryAnnotations | undefined {
  const names = [ROUTE_ANNOTATIONS.retryHttp, ROUTE_ANNOTATIONS.retryGrpc, ROUTE_ANNOTATIONS.retryLimit, ROUTE_ANNOTATIONS.retryTimeout];
  if (!names.some((name) => annotations?.[name] !== undefined)) return undefined;
  const retry: RetryAnnotations = { limit: POLICY_RETRY_DEFAULT_LIMIT };
  const http = text(annotations, ROUTE_ANNOTATIONS.retryHttp, problems);
  if (http !== undefined) {
    const parsed = statusRanges(http);
    if (typeof parsed === 'string') problems.push({ annotation: ROUTE_ANNOTATIONS.retryHttp, reason: parsed });
    else retry.http = parsed;
  }
  const grpc = text(annotations, ROUTE_ANNOTATIONS.retryGrpc, problems);
  if (grpc !== undefined) {
    const parsed = grpcCodes(grpc);
    if (typeof parsed === 'string') problems.push({ annotation: ROUTE_ANNOTATIONS.retryGrpc, reason: parsed });
    else retry.grpc = parsed;
  }
  const limit = text(annotations, ROUTE_ANNOTATIONS.retryLimit, problems);
  if (limit !== undefined) {
    const value = /^[0-9]+$/.test(limit) ? Number(limit) : NaN;
    if (value >= 0 && value <= MAX_RETRY_LIMIT) retry.limit = value;
    else problems.push({ annotation: ROUTE_ANNOTATIONS.retryLimit, reason: `${JSON.stringify(limit)} is not a non-negative integer` });
  }
  const timeout = duration(annotations, ROUTE_ANNOTATIONS.retryTimeout, problems);
  if (timeout) retry.timeout = timeout;
  return retry;
}

function parseTimeouts(annotations: Annotations, problems: AnnotationProblem[]): TimeoutAnnotations | undefined {
  const names = [ROUTE_ANNOTATIONS.timeoutRequest, ROUTE_ANNOTATIONS.timeoutResponse, ROUTE_ANNOTATIONS.timeoutIdle];
  if (!names.some((name) => annotations?.[name] !== undefined)) return undefined;
  const timeouts: TimeoutAnnotations = {};
  const request = duration(annotations, ROUTE_ANNOTATIONS.timeoutRequest, problems);
  const response = duration(annotations, ROUTE_ANNOTATIONS.timeoutResponse, problems);
  const idle = duration(annotations, ROUTE_ANNOTATIONS.timeoutIdle, problems);
  if (request) timeouts.request = request;
  if (response) timeouts.response = response;
  if (idle) timeouts.idle = idle;
  return timeouts;
}

/** Reads the retry and timeout annotations of a Service or route; each bad one is ignored and reported. */
export function parseRouteAnnotations(annotations: Annotations): RouteAnnotations {
  const problems: AnnotationProblem[] = [];
  const timeouts = parseTimeouts(annotations, problems);
  const retry = parseRetry(annotations, problems);
  return { ...(timeouts ? { timeouts } : {}), ...(retry ? { retry } : {}), problems };
}

const msDuration = (ms: number) => nanosToDuration(BigInt(ms) * NANOS_PER_MS);

export interface AccrualTranslation {
  accrual?: FailureAccrual;
  problems: AnnotationProblem[];
}

/** Consecutive-failures accrual when the Service opts in; Linkerd's defaults for every field it leaves out. */
export function parseFailureAccrual(annotations: Annotations): AccrualTranslation {
  const problems: AnnotationProblem[] = [];
  const kind = text(annotations, ACCRUAL_ANNOTATIONS.kind, problems);
  if (kind === undefined) return { problems };
  if (kind !== 'consecutive') {
    problems.push({ annotation: ACCRUAL_ANNOTATIONS.kind, reason: `${JSON.stringify(kind)} is not "consecutive"` });
    return { problems };
  }
  let maxFailures = POLICY_ACCRUAL_MAX_FAILURES;
  const failures = text(annotations, ACCRUAL_ANNOTATIONS.maxFailures, problems);
  if (failures !== undefined) {
    const value = /^[0-9]+$/.test(failures) ? Number(failures) : NaN;
    if (value >= 1 && value <= MAX_RETRY_LIMIT) maxFailures = value;
    else problems.push({ annotation: ACCRUAL_ANNOTATIONS.maxFailures, reason: `${JSON.stringify(failures)} is not a positive integer` });
  }
  const minBackoff = duration(annotations, ACCRUAL_ANNOTATIONS.minPenalty, problems) ?? msDuration(POLICY_ACCRUAL_MIN_PENALTY_MS);
  let maxBackoff = duration(annotations, ACCRUAL_ANNOTATIONS.maxPenalty, problems) ?? msDuration(POLICY_ACCRUAL_MAX_PENALTY_MS);
  if (toNanos(maxBackoff) < toNanos(minBackoff)) {
    problems.push({ annotation: ACCRUAL_ANNOTATIONS.maxPenalty, reason: 'shorter than the min penalty; the min penalty is used' });
    maxBackoff = minBackoff;
  }
  let jitterRatio = POLICY_ACCRUAL_JITTER_RATIO;
  const jitter = text(annotations, ACCRUAL_ANNOTATIONS.jitterRatio, problems);
  if (jitter !== undefined) {
    const value = /^[0-9]+(\.[0-9]+)?$/.test(jitter) ? Number(jitter) : NaN;
    if (value >= 0 && value <= 100) jitterRatio = value;
    else problems.push({ annotation: ACCRUAL_ANNOTATIONS.jitterRatio, reason: `${JSON.stringify(jitter)} is not a number from 0 to 100` });
  }
  return {
    accrual: { kind: { $case: 'consecutiveFailures', value: { maxFailures, backoff: { minBackoff, maxBackoff, jitterRatio } } } },
    problems,
  };
}

function toNanos(d: Duration): bigint {
  return BigInt(d.seconds) * 1_000_000_000n + BigInt(d.nanos);
}
