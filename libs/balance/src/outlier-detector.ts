import {
  DEFAULT_BASE_EJECTION_MS,
  DEFAULT_CONSECUTIVE_5XX,
  DEFAULT_MAX_EJECTION_MS,
  DEFAULT_MAX_EJECTION_PERCENT,
  DEFAULT_OUTLIER_INTERVAL_MS,
} from './defaults';
import { BalanceError, requirePositive } from './errors';
import type { Clock } from './types';

export interface OutlierDetectorOptions {
  clock: Clock;
  /** Consecutive failures (5xx or connection errors) that eject an endpoint. */
  consecutive5xx?: number;
  /** An endpoint ejected for the n-th time stays out base x n, at most maxEjectionMs. */
  baseEjectionMs?: number;
  maxEjectionMs?: number;
  /** At most this share of the endpoints is ejected at once, but always at least one may be. */
  maxEjectionPercent?: number;
  /** Each full interval an endpoint spends un-ejected forgives one of its past ejections. */
  intervalMs?: number;
}

interface EndpointState {
  consecutiveFailures: number;
  timesEjected: number;
  /** Ejected while now < ejectedUntil. */
  ejectedUntil: number;
}

/**
 * Consecutive-5xx outlier detection, as Envoy's. State per endpoint: healthy (counting
 * consecutive failures; a success resets the count) -> ejected (for base x times ejected,
 * capped) -> healthy again when the time is up, with the count reset. An ejection is skipped
 * when it would take the ejected share above maxEjectionPercent, except that one endpoint may
 * always be ejected. The detector keeps no timers: ejection ends are computed from the clock.
 */
export class OutlierDetector {
  private readonly clock: Clock;
  private readonly threshold: number;
  private readonly baseEjectionMs: number;
  private readonly maxEjectionMs: number;
  private readonly maxEjectionPercent: number;
  private readonly intervalMs: number;
  private readonly endpoints = new Map<string, EndpointState>();

  constructor(opts: OutlierDetectorOptions) {
    this.clock = opts.clock;
    this.threshold = requirePositive('consecutive5xx', opts.consecutive5xx ?? DEFAULT_CONSECUTIVE_5XX);
    this.baseEjectionMs = requirePositive('baseEjectionMs', opts.baseEjectionMs ?? DEFAULT_BASE_EJECTION_MS);
    this.maxEjectionMs = requirePositive('maxEjectionMs', opts.maxEjectionMs ?? Math.max(DEFAULT_MAX_EJECTION_MS, this.baseEjectionMs));
    this.intervalMs = requirePositive('intervalMs', opts.intervalMs ?? DEFAULT_OUTLIER_INTERVAL_MS);
    const percent = opts.maxEjectionPercent ?? DEFAULT_MAX_EJECTION_PERCENT;
    if (!Number.isFinite(percent) || percent < 0 || percent > 100) {
      throw new BalanceError('INVALID_OPTION', `maxEjectionPercent must be within 0..100, got ${percent}`);
    }
    this.maxEjectionPercent = percent;
  }

  /** Replaces the set of endpoints watched; known ones keep their state. */
  setEndpoints(ids: Iterable<string>): void {
    const keep = new Set(ids);
    for (const id of this.endpoints.keys()) if (!keep.has(id)) this.endpoints.delete(id);
    for (const id of keep) if (!this.endpoints.has(id)) this.endpoints.set(id, { consecutiveFailures: 0, timesEjected: 0, ejectedUntil: -Infinity });
  }

  recordSuccess(id: string): void {
    const state = this.endpoints.get(id);
    if (state !== undefined && !this.isEjectedState(state, this.clock.now())) state.consecutiveFailures = 0;
  }

  /** A 5xx answer or a failure to connect. Unknown endpoints are ignored. */
  recordFailure(id: string): void {
    const now = this.clock.now();
    const state = this.endpoints.get(id);
    if (state === undefined || this.isEjectedState(state, now)) return;
    state.consecutiveFailures += 1;
    if (state.consecutiveFailures < this.threshold || !this.mayEject(now)) return;
    this.eject(state, now);
  }

  /** Records an HTTP status: 5xx is a failure, anything else a success. */
  recordStatus(id: string, status: number): void {
    if (status >= 500) this.recordFailure(id);
    else this.recordSuccess(id);
  }

  isEjected(id: string, now = this.clock.now()): boolean {
    const state = this.endpoints.get(id);
    return state !== undefined && this.isEjectedState(state, now);
  }

  /** Ids of the endpoints ejected at time `now`. */
  ejected(now = this.clock.now()): string[] {
    const out: string[] = [];
    for (const [id, state] of this.endpoints) if (this.isEjectedState(state, now)) out.push(id);
    return out;
  }

  private isEjectedState(state: EndpointState, now: number): boolean {
    return now < state.ejectedUntil;
  }

  private mayEject(now: number): boolean {
    const ejected = this.ejected(now).length;
    if (ejected === 0) return true;
    return ejected + 1 <= (this.maxEjectionPercent / 100) * this.endpoints.size;
  }

  private eject(state: EndpointState, now: number): void {
    if (state.ejectedUntil !== -Infinity) {
      const forgiven = Math.floor((now - state.ejectedUntil) / this.intervalMs);
      state.timesEjected = Math.max(0, state.timesEjected - forgiven);
    }
    state.timesEjected += 1;
    state.ejectedUntil = now + Math.min(this.maxEjectionMs, this.baseEjectionMs * state.timesEjected);
    state.consecutiveFailures = 0;
  }
}
