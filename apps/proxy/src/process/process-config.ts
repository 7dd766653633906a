import { availableParallelism } from 'node:os';
import type { OverloadTrigger } from '@trellis/balance';
import { readInteger, readNumber, readOptionalString, type Env } from '../config/env';
import { ConfigError } from '../config/errors';
import type { EnvVarDoc } from '../config/inbound-config';

/** Ours: more workers than this is a typo on any machine a sidecar runs on. */
export const MAX_WORKERS = 64;
/** Envoy's overload manager refresh_interval default: resources are sampled every second. */
export const DEFAULT_OVERLOAD_INTERVAL_MS = 1_000;
/** Ours: stop accepting connections at 90 % of the heap limit (Envoy's docs shrink the heap at 95 %, stop requests at 98 %). */
export const DEFAULT_STOP_ACCEPTING_HEAP_RATIO = 0.9;
/** Ours: shed new requests at 95 % of the heap limit, before V8 spends its time in full collections. */
export const DEFAULT_SHED_HEAP_RATIO = 0.95;
/**
 * Event-loop delay triggers are off (0) unless set, as in fastify's under-pressure (maxEventLoopDelay 0): a proxy
 * starved of CPU by its neighbours, or busy starting, would otherwise refuse work it can still do.
 */
export const DEFAULT_STOP_ACCEPTING_LOOP_DELAY_MS = 0;
export const DEFAULT_SHED_LOOP_DELAY_MS = 0;
/** Ours: the fastest useful sampling; event-loop delay below this resolution is noise. */
const MIN_OVERLOAD_INTERVAL_MS = 20;

export interface ProcessConfig {
  /** Undefined: one process, no supervisor (the default). A number: a supervisor with that many workers. */
  readonly workers: number | undefined;
  readonly overload: {
    readonly intervalMs: number;
    /** loopDelayMs 0: that trigger is off. */
    readonly stopAccepting: OverloadTrigger;
    readonly shed: OverloadTrigger;
  };
}

export const PROCESS_ENV: readonly EnvVarDoc[] = [
  {
    name: 'TRELLIS_PROXY_WORKERS',
    fallback: 'unset: one process',
    meaning: `worker processes under a supervisor that owns the listeners and hot-restarts them: 1-${MAX_WORKERS}, or auto (one per core)`,
  },
  { name: 'TRELLIS_OVERLOAD_INTERVAL_MS', fallback: String(DEFAULT_OVERLOAD_INTERVAL_MS), meaning: 'how often heap use and event-loop delay are sampled, ms' },
  { name: 'TRELLIS_OVERLOAD_STOP_ACCEPTING_HEAP', fallback: String(DEFAULT_STOP_ACCEPTING_HEAP_RATIO), meaning: 'heap used / heap limit at which new connections are refused (0-1)' },
  { name: 'TRELLIS_OVERLOAD_SHED_HEAP', fallback: String(DEFAULT_SHED_HEAP_RATIO), meaning: 'heap used / heap limit at which new requests get 503 overloaded (0-1)' },
  { name: 'TRELLIS_OVERLOAD_STOP_ACCEPTING_LOOP_DELAY_MS', fallback: String(DEFAULT_STOP_ACCEPTING_LOOP_DELAY_MS), meaning: 'event-loop delay (p99) at which new connections are refused, ms (0: off)' },
  { name: 'TRELLIS_OVERLOAD_SHED_LOOP_DELAY_MS', fallback: String(DEFAULT_SHED_LOOP_DELAY_MS), meaning: 'event-loop delay (p99) at which new requests get 503 overloaded, ms (0: off)' },
];

function readWorkers(env: Env): number | undefined {
  const value = readOptionalString(env, 'TRELLIS_PROXY_WORKERS');
  if (value === undefined) return undefined;
  if (value === 'auto') return Math.min(availableParallelism(), MAX_WORKERS);
  return readInteger(env, 'TRELLIS_PROXY_WORKERS', 1, 1, MAX_WORKERS);
}

/** Reads and validates the process settings; throws ConfigError naming the first bad variable. */
export function loadProcessConfig(env: Env): ProcessConfig {
  const workers = readWorkers(env);
  const intervalMs = readInteger(env, 'TRELLIS_OVERLOAD_INTERVAL_MS', DEFAULT_OVERLOAD_INTERVAL_MS, MIN_OVERLOAD_INTERVAL_MS, 60_000);
  const ratio = (name: string, fallback: number) => {
    const value = readNumber(env, name, fallback, 0, 1);
    if (value === 0) throw new ConfigError(name, 'a heap ratio of 0 would shed everything; use a value above 0');
    return value;
  };
  const stopAccepting = {
    heapRatio: ratio('TRELLIS_OVERLOAD_STOP_ACCEPTING_HEAP', DEFAULT_STOP_ACCEPTING_HEAP_RATIO),
    loopDelayMs: readInteger(env, 'TRELLIS_OVERLOAD_STOP_ACCEPTING_LOOP_DELAY_MS', DEFAULT_STOP_ACCEPTING_LOOP_DELAY_MS, 0, 3_600_000),
  };
  const shed = {
    heapRatio: ratio('TRELLIS_OVERLOAD_SHED_HEAP', DEFAULT_SHED_HEAP_RATIO),
    loopDelayMs: readInteger(env, 'TRELLIS_OVERLOAD_SHED_LOOP_DELAY_MS', DEFAULT_SHED_LOOP_DELAY_MS, 0, 3_600_000),
  };
  return { workers, overload: { intervalMs, stopAccepting, shed } };
}
