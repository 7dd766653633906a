import { DEFAULT_MIN_RETRIES_PER_SECOND, DEFAULT_RETRY_RATIO, DEFAULT_RETRY_TTL_MS } from './defaults';
import { requireNonNegative, requirePositive } from './errors';
import type { Clock } from './types';

export interface RetryBudgetOptions {
  clock: Clock;
  /** Retries allowed per request deposited. */
  ratio?: number;
  /** Retries per second allowed regardless of traffic. */
  minRetriesPerSecond?: number;
  /** Window over which requests and retries are counted. */
  ttlMs?: number;
}

// The window is kept in this many slots (tower's TpsBudget uses 10 as well).
const SLOTS = 10;

/**
 * A retry budget, as Linkerd's (tower's TpsBudget): every request deposits, every retry
 * withdraws, and a retry is allowed only while the window stays within
 *   retries <= ratio x requests + minRetriesPerSecond x ttl seconds.
 *
 * Invariant: whenever withdraw() returns true at time t, the retries granted in (t - ttl, t],
 * this one included, are at most ratio x requests deposited in (t - ttl, t] + min x ttl s.
 * The window is kept in slots of ttl / 10; to keep the invariant exact despite the slots,
 * requests are counted only in the 10 newest slots (never older than ttl) and retries in the
 * 11 newest (never fewer than those of the last ttl).
 */
export class RetryBudget {
  readonly ratio: number;
  readonly minRetriesPerSecond: number;
  readonly ttlMs: number;
  private readonly clock: Clock;
  private readonly slotMs: number;
  private readonly deposits = new Float64Array(SLOTS + 1);
  private readonly withdrawals = new Float64Array(SLOTS + 1);
  private readonly slotIndex = new Float64Array(SLOTS + 1).fill(-Infinity);
  private readonly reserve: number;

  constructor(opts: RetryBudgetOptions) {
    this.clock = opts.clock;
    this.ratio = requireNonNegative('ratio', opts.ratio ?? DEFAULT_RETRY_RATIO);
    this.minRetriesPerSecond = requireNonNegative('minRetriesPerSecond', opts.minRetriesPerSecond ?? DEFAULT_MIN_RETRIES_PER_SECOND);
    this.ttlMs = requirePositive('ttlMs', opts.ttlMs ?? DEFAULT_RETRY_TTL_MS);
    this.slotMs = this.ttlMs / SLOTS;
    this.reserve = this.minRetriesPerSecond * (this.ttlMs / 1000);
  }

  /** Records a request (not a retry). */
  deposit(): void {
    const at = this.slot(this.clock.now());
    this.deposits[at] = (this.deposits[at] ?? 0) + 1;
  }

  /** Asks to retry; true (and recorded) if the budget allows it. */
  withdraw(): boolean {
    const now = this.clock.now();
    const current = this.slot(now);
    if (this.withdrawn(now) + 1 > this.ratio * this.deposited(now) + this.reserve) return false;
    this.withdrawals[current] = (this.withdrawals[current] ?? 0) + 1;
    return true;
  }

  /** Retries that withdraw() would allow now (may be fractional). */
  balance(): number {
    const now = this.clock.now();
    return Math.max(0, this.ratio * this.deposited(now) + this.reserve - this.withdrawn(now));
  }

  private slot(now: number): number {
    const index = Math.floor(now / this.slotMs);
    const at = index % (SLOTS + 1);
    if (this.slotIndex[at] !== index) {
      this.slotIndex[at] = index;
      this.deposits[at] = 0;
      this.withdrawals[at] = 0;
    }
    return at;
  }

  private sum(values: Float64Array, now: number, slots: number): number {
    const newest = Math.floor(now / this.slotMs);
    let total = 0;
    for (let at = 0; at <= SLOTS; at++) {
      const index = this.slotIndex[at] ?? -Infinity;
      if (index > newest - slots && index <= newest) total += values[at] ?? 0;
    }
    return total;
  }

  private deposited(now: number): number {
    return this.sum(this.deposits, now, SLOTS);
  }

  private withdrawn(now: number): number {
    return this.sum(this.withdrawals, now, SLOTS + 1);
  }
}

/**
 * The budget for `settings` when a service's profile (re)arrives: `current`, with its counts, while the
 * settings resolve to the same ratio, minimum and window, else a fresh one. So a profile sent again
 * unchanged neither refills nor empties the budget. A setting left undefined (or no settings): the
 * default. Invalid settings throw, as the constructor does.
 */
export function retryBudgetFor(
  clock: Clock,
  settings: Pick<RetryBudgetOptions, 'ratio' | 'minRetriesPerSecond' | 'ttlMs'> | undefined,
  current: RetryBudget | undefined,
): RetryBudget {
  const fresh = new RetryBudget({ clock, ratio: settings?.ratio, minRetriesPerSecond: settings?.minRetriesPerSecond, ttlMs: settings?.ttlMs });
  const same = current !== undefined && current.ratio === fresh.ratio && current.minRetriesPerSecond === fresh.minRetriesPerSecond && current.ttlMs === fresh.ttlMs;
  return same ? current : fresh;
}
