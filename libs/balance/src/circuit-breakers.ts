import { BalanceError } from './errors';

/** Envoy's circuit-breaker thresholds of one cluster (here: one backend). */
export type BreakerResource = 'connections' | 'pending' | 'requests' | 'retries';
export type BreakerLimits = Readonly<Record<BreakerResource, number>>;

const RESOURCES: readonly BreakerResource[] = ['connections', 'pending', 'requests', 'retries'];

function validLimits(limits: BreakerLimits): BreakerLimits {
  for (const r of RESOURCES) {
    const v = limits[r];
    if (!Number.isInteger(v) || v < 1) throw new BalanceError('INVALID_OPTION', `circuit breaker limit ${r} must be an integer >= 1, got ${v}`);
  }
  return { ...limits };
}

/**
 * Counters against Envoy's circuit-breaker limits: tryAcquire() takes one unit of a resource
 * when it is under its limit and counts an overflow when not; release() gives it back. Limits
 * may change at any time; units already taken are kept (a lower limit only stops new ones).
 */
export class CircuitBreakers {
  private limitsNow: BreakerLimits;
  private readonly used: Record<BreakerResource, number> = { connections: 0, pending: 0, requests: 0, retries: 0 };
  private readonly overflowed: Record<BreakerResource, number> = { connections: 0, pending: 0, requests: 0, retries: 0 };

  constructor(limits: BreakerLimits) {
    this.limitsNow = validLimits(limits);
  }

  get limits(): BreakerLimits {
    return this.limitsNow;
  }

  setLimits(limits: BreakerLimits): void {
    this.limitsNow = validLimits(limits);
  }

  tryAcquire(resource: BreakerResource): boolean {
    if (this.used[resource] >= this.limitsNow[resource]) {
      this.overflowed[resource] += 1;
      return false;
    }
    this.used[resource] += 1;
    return true;
  }

  release(resource: BreakerResource): void {
    if (this.used[resource] > 0) this.used[resource] -= 1;
  }

  inUse(resource: BreakerResource): number {
    return this.used[resource];
  }

  /** Refusals since the start. */
  overflows(resource: BreakerResource): number {
    return this.overflowed[resource];
  }
}
