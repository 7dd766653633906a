import { TokenBucket, type Clock } from '@trellis/balance';
import { PolicyError } from './errors';
import type { Meta, RateLimitSpec } from './model';

/** governor's `Quota::per_second(rps)` as linkerd2-proxy uses it: a bucket holds one second of requests. */
export const RATE_LIMIT_BURST_SECONDS = 1;
/** Ours: most per-identity buckets kept; past it the least recently created is dropped (it refills to full anyway). */
export const MAX_IDENTITY_BUCKETS = 10_000;
/** The bucket key of clients without an identity: they share one bucket, as Linkerd keys them by `None`. */
const NO_IDENTITY = '';

export type RateLimitScope = 'total' | 'identity' | 'override';

export type RateLimitOutcome =
  | { readonly limited: false }
  | { readonly limited: true; readonly scope: RateLimitScope; readonly retryAfterSeconds: number };

const ALLOWED: RateLimitOutcome = Object.freeze({ limited: false });

function requireRate(what: string, rps: number | undefined): void {
  if (rps === undefined) return;
  if (!Number.isInteger(rps) || rps <= 0) {
    throw new PolicyError('INVALID_RATE', `${what}: requests per second must be a whole number > 0, got ${rps}`);
  }
}

/**
 * Checks a rate limit as Linkerd's admission webhook does: every rate a whole number > 0, and the
 * per-identity and override rates no higher than the total. Returns the spec; throws INVALID_RATE.
 */
export function validateRateLimit(spec: RateLimitSpec): RateLimitSpec {
  requireRate('total', spec.totalRps);
  requireRate('identity', spec.identityRps);
  const total = spec.totalRps ?? Number.POSITIVE_INFINITY;
  if (spec.identityRps !== undefined && spec.identityRps > total) {
    throw new PolicyError('INVALID_RATE', `identity rate ${spec.identityRps}/s is above the total ${total}/s`);
  }
  for (const [i, o] of spec.overrides.entries()) {
    requireRate(`overrides[${i}]`, o.rps);
    if (o.rps > total) throw new PolicyError('INVALID_RATE', `overrides[${i}] rate ${o.rps}/s is above the total ${total}/s`);
    if (o.clients.length === 0) throw new PolicyError('INVALID_RATE', `overrides[${i}] names no client`);
  }
  return spec;
}

/**
 * The token buckets of one rate-limit policy (linkerd2-proxy's `LocalRateLimit`): a request takes a
 * token from the total bucket, then from its client's override bucket if one is listed for it,
 * otherwise from its identity's bucket. Each bucket holds RATE_LIMIT_BURST_SECONDS of its rate.
 * Pure: the clock is injected.
 */
export class LocalRateLimiter {
  private readonly total: TokenBucket | undefined;
  private readonly overrides = new Map<string, TokenBucket>();
  private readonly identities = new Map<string, TokenBucket>();

  constructor(
    readonly spec: RateLimitSpec,
    private readonly clock: Clock,
  ) {
    validateRateLimit(spec);
    this.total = spec.totalRps === undefined ? undefined : this.bucket(spec.totalRps);
    for (const o of spec.overrides) for (const id of o.clients) this.overrides.set(id, this.bucket(o.rps));
  }

  get meta(): Meta {
    return this.spec.meta;
  }

  check(clientId: string | undefined): RateLimitOutcome {
    if (this.total !== undefined && !this.total.tryTake()) return limited('total', this.total);
    const override = clientId === undefined ? undefined : this.overrides.get(clientId);
    if (override !== undefined) return override.tryTake() ? ALLOWED : limited('override', override);
    const perIdentity = this.identityBucket(clientId ?? NO_IDENTITY);
    if (perIdentity !== undefined && !perIdentity.tryTake()) return limited('identity', perIdentity);
    return ALLOWED;
  }

  private identityBucket(key: string): TokenBucket | undefined {
    const rps = this.spec.identityRps;
    if (rps === undefined) return undefined;
    let bucket = this.identities.get(key);
    if (bucket === undefined) {
      if (this.identities.size >= MAX_IDENTITY_BUCKETS) {
        const oldest = this.identities.keys().next().value;
        if (oldest !== undefined) this.identities.delete(oldest);
      }
      bucket = this.bucket(rps);
      this.identities.set(key, bucket);
    }
    return bucket;
  }

  private bucket(rps: number): TokenBucket {
    return new TokenBucket({ clock: this.clock, capacity: rps * RATE_LIMIT_BURST_SECONDS, refillPerSecond: rps });
  }
}

/** Whole seconds until the bucket has a token again (RFC 9110 Retry-After), at least 1. */
function limited(scope: RateLimitScope, bucket: TokenBucket): RateLimitOutcome {
  const missing = 1 - bucket.available();
  const seconds = Math.ceil(missing / bucket.refillPerSecond);
  return { limited: true, scope, retryAfterSeconds: Math.max(1, seconds) };
}

/** Whether two specs would build the same buckets (so a policy update that keeps them keeps their state). */
export function sameRateLimit(a: RateLimitSpec | undefined, b: RateLimitSpec | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
