import { constant, exponential, logNormal, logNormalMeanMs, scaled, stuckBetween } from './distributions';
import type { EndpointModel, Scenario } from './simulate';

// Healthy service time: log-normal, median 10 ms, sigma 0.5 (mean 11.3 ms).
const HEALTHY_MEDIAN_MS = 10;
const HEALTHY_SIGMA = 0.5;

function healthy(id: string, concurrency: number): EndpointModel {
  return { id, concurrency, latency: logNormal(HEALTHY_MEDIAN_MS, HEALTHY_SIGMA), failureRate: 0 };
}

/**
 * Buoyant's "Beyond round robin" simulation: 11 backends at 1,000 rps; one of them answers
 * only after 2 s for 30 s of a 60 s run; clients give up after 1 s. Backends have no
 * concurrency limit, so the stuck one hurts only the requests sent to it.
 */
export function stuckBackend(scale = 1): Scenario {
  const durationMs = 60_000 * scale;
  const endpoints = Array.from({ length: 11 }, (_, i) => healthy(`backend-${i}`, Infinity));
  endpoints[0] = {
    ...endpoints[0]!,
    latency: stuckBetween(durationMs / 4, durationMs / 4 + 30_000 * scale, constant(2_000), logNormal(HEALTHY_MEDIAN_MS, HEALTHY_SIGMA)),
  };
  return {
    name: 'stuck-backend',
    description: '11 backends, 1,000 rps, one stuck at 2 s for 30 s of 60 s, 1 s client timeout',
    rps: 1_000,
    durationMs,
    timeoutMs: 1_000,
    endpoints,
  };
}

// Each endpoint serves this many requests at once; the rest queue.
const CONCURRENCY = 4;
const LOAD = 0.8;
const SLOW_FACTOR = 10;

/** Arrival rate that puts the 10-endpoint set (one of them 10x slower) at 80 % utilisation. */
function slowSetRps(): number {
  const fastCapacity = (CONCURRENCY * 1000) / logNormalMeanMs(HEALTHY_MEDIAN_MS, HEALTHY_SIGMA);
  return LOAD * (9 * fastCapacity + fastCapacity / SLOW_FACTOR);
}

/** 10 endpoints, one 10x slower than the rest, at 80 % of the set's capacity; 1 s timeout. */
export function slowEndpoint(scale = 1): Scenario {
  const endpoints = Array.from({ length: 10 }, (_, i) => healthy(`pod-${i}`, CONCURRENCY));
  endpoints[0] = { ...endpoints[0]!, latency: scaled(SLOW_FACTOR, logNormal(HEALTHY_MEDIAN_MS, HEALTHY_SIGMA)) };
  return {
    name: 'slow-endpoint',
    description: `10 endpoints x ${CONCURRENCY} concurrent, one 10x slower, 80 % load (${Math.round(slowSetRps())} rps), 1 s timeout`,
    rps: slowSetRps(),
    durationMs: 30_000 * scale,
    timeoutMs: 1_000,
    endpoints,
  };
}

/** The baseline for slow-endpoint: the same traffic against 10 healthy endpoints. */
export function allHealthy(scale = 1): Scenario {
  return {
    ...slowEndpoint(scale),
    name: 'all-healthy',
    description: `10 healthy endpoints x ${CONCURRENCY} concurrent, same traffic as slow-endpoint`,
    endpoints: Array.from({ length: 10 }, (_, i) => healthy(`pod-${i}`, CONCURRENCY)),
  };
}

/** A light scenario for tests: 5 healthy endpoints at 200 rps with random 5 ms service. */
export function lightHealthy(durationMs: number): Scenario {
  return {
    name: 'light-healthy',
    description: '5 endpoints, 200 rps, exponential 5 ms service, no failures',
    rps: 200,
    durationMs,
    timeoutMs: 1_000,
    endpoints: Array.from({ length: 5 }, (_, i) => ({ id: `e${i}`, concurrency: 8, latency: exponential(5), failureRate: 0 })),
  };
}
