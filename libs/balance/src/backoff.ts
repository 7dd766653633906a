import {
  DEFAULT_BACKOFF_JITTER,
  DEFAULT_BACKOFF_MAX_MS,
  DEFAULT_BACKOFF_MIN_MS,
  DEFAULT_BACKOFF_MULTIPLIER,
} from './defaults';
import { BalanceError, requireNonNegative, requirePositive } from './errors';
import type { Random } from './types';

export interface BackoffOptions {
  random: Random;
  minMs?: number;
  maxMs?: number;
  multiplier?: number;
  /** Fraction of the base delay added at random: delay in [base, base x (1 + jitter)], capped at max. */
  jitter?: number;
}

/**
 * Exponential backoff with jitter, as linkerd2-proxy's `exp-backoff`: attempt n (from 0) waits
 * base = min(minMs x multiplier^n, maxMs) plus up to jitter x base, never more than maxMs.
 * reset() starts over from minMs (after a success).
 */
export class ExponentialBackoff {
  private attempt = 0;
  private readonly random: Random;
  readonly minMs: number;
  readonly maxMs: number;
  readonly multiplier: number;
  readonly jitter: number;

  constructor(opts: BackoffOptions) {
    this.random = opts.random;
    this.minMs = requirePositive('minMs', opts.minMs ?? DEFAULT_BACKOFF_MIN_MS);
    this.maxMs = requirePositive('maxMs', opts.maxMs ?? DEFAULT_BACKOFF_MAX_MS);
    this.multiplier = requirePositive('multiplier', opts.multiplier ?? DEFAULT_BACKOFF_MULTIPLIER);
    this.jitter = requireNonNegative('jitter', opts.jitter ?? DEFAULT_BACKOFF_JITTER);
    if (this.minMs > this.maxMs) {
      throw new BalanceError('INVALID_OPTION', `minMs ${this.minMs} exceeds maxMs ${this.maxMs}`);
    }
    if (this.multiplier < 1) {
      throw new BalanceError('INVALID_OPTION', `multiplier must be >= 1, got ${this.multiplier}`);
    }
  }

  /** The base delay of attempt n, before jitter. */
  base(attempt: number): number {
    return Math.min(this.maxMs, this.minMs * Math.pow(this.multiplier, attempt));
  }

  /** The delay before the next attempt, in milliseconds. */
  next(): number {
    const base = this.base(this.attempt);
    if (base < this.maxMs) this.attempt += 1;
    return Math.min(this.maxMs, base + base * this.jitter * this.random());
  }

  reset(): void {
    this.attempt = 0;
  }
}
