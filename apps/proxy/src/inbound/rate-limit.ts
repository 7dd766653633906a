import { RateLimitedError } from './errors';
import type { Middleware } from './exchange';
import type { PolicyMetrics } from './policy-metrics';
import type { PolicyState } from './policy-store';

export interface RateLimitOptions {
  /** The policy in force, read on every request. */
  readonly policy: { readonly current: PolicyState };
  readonly metrics: PolicyMetrics;
}

/**
 * Linkerd's HTTP local rate limit (`app/inbound/src/policy/http_local_rate_limit.rs`) on the token
 * buckets of the current policy: total, then the client identity's override or per-identity
 * bucket. Refused: counted in `inbound_http_local_ratelimit_rate_limited_total` and answered 429
 * `too many requests` with `Retry-After` (gRPC RESOURCE_EXHAUSTED). No rate limit: passes through.
 */
export function rateLimit(options: RateLimitOptions): Middleware {
  const { policy, metrics } = options;
  return (next) => (ex) => {
    const { limiter, policy: current } = policy.current;
    if (limiter === undefined) {
      next(ex);
      return;
    }
    const outcome = limiter.check(ex.connectionTls.clientId);
    if (!outcome.limited) {
      next(ex);
      return;
    }
    metrics.rateLimited(current.server, limiter.meta, outcome.scope, ex.connectionTls);
    ex.fail(new RateLimitedError(outcome.scope, outcome.retryAfterSeconds));
  };
}
