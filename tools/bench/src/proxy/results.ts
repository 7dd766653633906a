import { summarize, type Summary } from './stats';
import type { ProcessTimeInProxy } from './time-in-proxy-window';

export type ScenarioId = 'h1-c1' | 'h1-c50' | 'h2-c1' | 'h2';
export type Protocol = 'h1' | 'h2';

export interface Scenario {
  readonly id: ScenarioId;
  readonly title: string;
  readonly protocol: Protocol;
  readonly connections: number;
  /** Concurrent streams per connection (h2load -m); 1 for HTTP/1.1. */
  readonly streams: number;
}

/** In measurement order; the last of each protocol is the heaviest and also serves as its warm-up. */
export const SCENARIOS: readonly Scenario[] = [
  { id: 'h1-c1', title: 'HTTP/1.1, 1 connection (latency)', protocol: 'h1', connections: 1, streams: 1 },
  { id: 'h1-c50', title: 'HTTP/1.1, 50 connections (throughput)', protocol: 'h1', connections: 50, streams: 1 },
  { id: 'h2-c1', title: 'HTTP/2 h2c, gRPC-style POST, 1 connection × 1 stream (latency)', protocol: 'h2', connections: 1, streams: 1 },
  { id: 'h2', title: 'HTTP/2 h2c, gRPC-style POST, 10 connections × 10 streams', protocol: 'h2', connections: 10, streams: 10 },
];

export type VariantKind = 'baseline' | 'trellis' | 'peer';

/** One measurement of one variant in one scenario. Latencies in ms; h2load gives a mean, wrk gives percentiles. */
export interface Sample {
  readonly requestsPerSecond: number;
  readonly p50Ms?: number;
  readonly p99Ms?: number;
  readonly meanMs?: number;
  /** Socket errors, non-2xx answers and failed streams. */
  readonly errors: number;
  /** Requests completed (wrk's total, h2load's succeeded). */
  readonly requests?: number;
  /**
   * CPU time (user + system) of the variant's proxy processes during the measurement divided by the requests
   * completed, µs; none for direct. Less distorted than rates when other work shares the machine.
   */
  readonly cpuMicrosPerRequest?: number;
  /** With --time-in-proxy: what each timed proxy process measured at its sockets during this measurement. */
  readonly timeInProxy?: readonly ProcessTimeInProxy[];
}

export interface VariantResult {
  readonly id: string;
  readonly label: string;
  readonly description?: string;
  readonly kind: VariantKind;
  /** For a baseline variant: the id of the variant it repeats with the --baseline-proxy bundle. */
  readonly baselineOf?: string;
  /** Why the whole variant did not run, when it did not. */
  readonly skipped?: string;
  readonly samples: Readonly<Partial<Record<ScenarioId, readonly Sample[]>>>;
  /** Measurements or later rounds that failed after the variant had worked, with the reason. */
  readonly failures?: readonly string[];
  /** Why a scenario did not run for this variant (e.g. HTTP/1.1 only). */
  readonly scenarioSkips: Readonly<Partial<Record<ScenarioId, string>>>;
  /** Largest VmHWM among the variant's proxy processes (a process with its children) after every run, bytes; none for direct. */
  readonly peakRssBytes?: number;
  /** The same, read right after the fixed-rate HTTP/1.1 run, before any full-speed load reached the fresh process. */
  readonly fixedRatePeakRssBytes?: number;
  /** What the fixed-rate runs achieved (a proxy that cannot keep up serves less than asked), one per round. */
  readonly fixedRateSamples?: readonly Sample[];
}

const MICROS_PER_MS = 1000;

/** CPU µs per request from the CPU ms used during a measurement; undefined without a request count. */
export function cpuMicrosPerRequest(cpuMs: number, requests: number | undefined): number | undefined {
  return requests !== undefined && requests > 0 ? (cpuMs * MICROS_PER_MS) / requests : undefined;
}

export interface Aggregate {
  readonly requestsPerSecond: Summary;
  readonly p50Ms?: Summary;
  readonly p99Ms?: Summary;
  readonly meanMs?: Summary;
  readonly cpuMicrosPerRequest?: Summary;
  readonly errors: number;
}

export function aggregate(samples: readonly Sample[] | undefined): Aggregate | undefined {
  if (!samples) return undefined;
  const requestsPerSecond = summarize(samples.map((s) => s.requestsPerSecond));
  if (!requestsPerSecond) return undefined;
  const pick = (field: 'p50Ms' | 'p99Ms' | 'meanMs' | 'cpuMicrosPerRequest') =>
    summarize(samples.flatMap((s) => (s[field] === undefined ? [] : [s[field]])));
  return {
    requestsPerSecond,
    p50Ms: pick('p50Ms'),
    p99Ms: pick('p99Ms'),
    meanMs: pick('meanMs'),
    cpuMicrosPerRequest: pick('cpuMicrosPerRequest'),
    errors: samples.reduce((sum, s) => sum + s.errors, 0),
  };
}
