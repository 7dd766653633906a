import {
  DEFAULT_BASE_EJECTION_MS,
  DEFAULT_CONSECUTIVE_5XX,
  DEFAULT_CONSECUTIVE_GATEWAY_ERRORS,
  DEFAULT_MAX_EJECTION_MS,
  DEFAULT_MAX_EJECTION_PERCENT,
  DEFAULT_OUTLIER_INTERVAL_MS,
} from './defaults';
import { BalanceError, requirePositive } from './errors';
import type { Clock } from './types';

export interface OutlierDetectorOptions {
  clock: Clock;
  /** Consecutive 5xx answers (connection failures included) that eject an endpoint; 0 disables. */
  consecutive5xx?: number;
  /** Consecutive gateway errors (502, 503, 504, connection failures) that eject; 0 disables. */
  consecutiveGatewayErrors?: number;
  /** An endpoint ejected for the n-th time stays out base x n, at most maxEjectionMs. */
  baseEjectionMs?: number;
  maxEjectionMs?: number;
  /** At most this share of the endpoints is ejected at once, but always at least one may be. */
  maxEjectionPercent?: number;
  /** Each full interval an endpoint spends un-ejected forgives one of its past ejections. */
  intervalMs?: number;
}

/** An ejection that a record caused: the endpoint is out while the clock reads less than untilMs. */
export interface Ejection {
  id: string;
  untilMs: number;
  reason: 'consecutive_5xx' | 'consecutive_gateway';
}

interface EndpointState {
  consecutive5xx: number;
  consecutiveGateway: number;
  timesEjected: number;
  /** Ejected while now < ejectedUntil. */
  ejectedUntil: number;
}

/** Envoy (`resultToHttpCode`): a failure to connect is reported to outlier detection as a 503. */
const CONNECT_FAILURE_STATUS = 503;

function is5xx(status: number): boolean {
  return status >= 500 && status < 600;
}

/** Envoy's `isGatewayError`. */
function isGatewayError(status: number): boolean {
  return status === 502 || status === 503 || status === 504;
}

function requireCount(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) {
    throw new BalanceError('INVALID_OPTION', `${name} must be an integer >= 0 (0 disables it), got ${value}`);
  }
  return value;
}

/**
 * Envoy's consecutive-5xx and consecutive-gateway-error outlier detectors. State per endpoint:
 * healthy, counting consecutive 5xx and, among them, consecutive gateway errors (a non-5xx
 * resets both counts, a 5xx that is not a gateway error resets the gateway count) -> ejected for
 * base x times ejected, capped -> healthy again when the time is up, both counts at zero. A
 * detector whose count reaches its threshold asks for an ejection and starts counting again,
 * whether or not the ejection is allowed (as Envoy does); the gateway detector asks first. An
 * ejection is refused when it would take the ejected share above maxEjectionPercent, except that
 * one endpoint may always be ejected. Records for an ejected or unknown endpoint are ignored.
 * No timers: ejection ends are computed from the clock, and nextExpiryMs() tells the caller when
 * to look again.
 */
export class OutlierDetector {
  private readonly clock: Clock;
  private readonly consecutive5xx: number;
  private readonly consecutiveGateway: number;
  private readonly baseEjectionMs: number;
  private readonly maxEjectionMs: number;
  private readonly maxEjectionPercent: number;
  private readonly intervalMs: number;
  private readonly endpoints = new Map<string, EndpointState>();

  constructor(opts: OutlierDetectorOptions) {
    this.clock = opts.clock;
    this.consecutive5xx = requireCount('consecutive5xx', opts.consecutive5xx ?? DEFAULT_CONSECUTIVE_5XX);
    this.consecutiveGateway = requireCount('consecutiveGatewayErrors', opts.consecutiveGatewayErrors ?? DEFAULT_CONSECUTIVE_GATEWAY_ERRORS);
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
    for (const id of keep) {
      if (!this.endpoints.has(id)) this.endpoints.set(id, { consecutive5xx: 0, consecutiveGateway: 0, timesEjected: 0, ejectedUntil: -Infinity });
    }
  }

  /** A non-5xx answer: resets both counts. */
  recordSuccess(id: string): void {
    const state = this.endpoints.get(id);
    if (state === undefined || this.isEjectedState(state, this.clock.now())) return;
    state.consecutive5xx = 0;
    state.consecutiveGateway = 0;
  }

  /** Records an HTTP status (500..599 is a 5xx, anything else a success); returns the ejection it caused. */
  recordStatus(id: string, status: number): Ejection | null {
    if (!is5xx(status)) {
      this.recordSuccess(id);
      return null;
    }
    return this.record5xx(id, isGatewayError(status));
  }

  /** A failure to connect: a 5xx and a gateway error, as Envoy counts it. */
  recordConnectFailure(id: string): Ejection | null {
    return this.recordStatus(id, CONNECT_FAILURE_STATUS);
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

  /** The earliest end of an ejection after `now`, when an endpoint comes back; undefined if none is ejected. */
  nextExpiryMs(now = this.clock.now()): number | undefined {
    let next: number | undefined;
    for (const state of this.endpoints.values()) {
      if (this.isEjectedState(state, now) && (next === undefined || state.ejectedUntil < next)) next = state.ejectedUntil;
    }
    return next;
  }

  private record5xx(id: string, gateway: boolean): Ejection | null {
    const now = this.clock.now();
    const state = this.endpoints.get(id);
    if (state === undefined || this.isEjectedState(state, now)) return null;
    state.consecutive5xx += 1;
    state.consecutiveGateway = gateway ? state.consecutiveGateway + 1 : 0;
    if (this.consecutiveGateway > 0 && state.consecutiveGateway >= this.consecutiveGateway) {
      state.consecutiveGateway = 0;
      const ejection = this.tryEject(id, state, now, 'consecutive_gateway');
      if (ejection !== null) return ejection;
    }
    if (this.consecutive5xx > 0 && state.consecutive5xx >= this.consecutive5xx) {
      state.consecutive5xx = 0;
      return this.tryEject(id, state, now, 'consecutive_5xx');
    }
    return null;
  }

  private isEjectedState(state: EndpointState, now: number): boolean {
    return now < state.ejectedUntil;
  }

  private mayEject(now: number): boolean {
    const ejected = this.ejected(now).length;
    if (ejected === 0) return true;
    return (ejected + 1) * 100 <= this.maxEjectionPercent * this.endpoints.size;
  }

  private tryEject(id: string, state: EndpointState, now: number, reason: Ejection['reason']): Ejection | null {
    if (!this.mayEject(now)) return null;
    if (state.ejectedUntil !== -Infinity) {
      const forgiven = Math.floor((now - state.ejectedUntil) / this.intervalMs);
      state.timesEjected = Math.max(0, state.timesEjected - forgiven);
    }
    state.timesEjected += 1;
    state.ejectedUntil = now + Math.min(this.maxEjectionMs, this.baseEjectionMs * state.timesEjected);
    state.consecutive5xx = 0;
    state.consecutiveGateway = 0;
    return { id, untilMs: state.ejectedUntil, reason };
  }
}
