import { BalanceError, requireNonNegative, requirePositive } from './errors';
import type { Clock } from './types';

export interface TokenBucketOptions {
  clock: Clock;
  /** Most tokens the bucket holds; it starts full. */
  capacity: number;
  /** Tokens added per second, continuously. */
  refillPerSecond: number;
}

/** A token bucket (as Envoy's local rate limit): take() succeeds while tokens remain. */
export class TokenBucket {
  readonly capacity: number;
  readonly refillPerSecond: number;
  private readonly clock: Clock;
  private tokens: number;
  private updatedAt: number;

  constructor(opts: TokenBucketOptions) {
    this.clock = opts.clock;
    this.capacity = requirePositive('capacity', opts.capacity);
    this.refillPerSecond = requireNonNegative('refillPerSecond', opts.refillPerSecond);
    this.tokens = this.capacity;
    this.updatedAt = this.clock.now();
  }

  /** Takes n tokens if that many are available; otherwise takes none. */
  tryTake(n = 1): boolean {
    if (!Number.isFinite(n) || n < 0) {
      throw new BalanceError('INVALID_OPTION', `tokens to take must be a finite number >= 0, got ${n}`);
    }
    this.refill();
    if (this.tokens < n) return false;
    this.tokens -= n;
    return true;
  }

  available(): number {
    this.refill();
    return this.tokens;
  }

  private refill(): void {
    const now = this.clock.now();
    const elapsed = now - this.updatedAt;
    if (elapsed <= 0) return;
    this.tokens = Math.min(this.capacity, this.tokens + (elapsed / 1000) * this.refillPerSecond);
    this.updatedAt = now;
  }
}
