import type { Clock } from '@trellis/balance';
import { LocalRateLimiter, PolicyError, policyFromServer, sameRateLimit, type InboundPolicy } from '@trellis/policy';
import type { inbound } from '@trellis/proto';
import type { Logger } from '../logger';
import type { PolicyMetrics } from './policy-metrics';

/** The policy in force and the token buckets of its rate limit. */
export interface PolicyState {
  readonly policy: InboundPolicy;
  /** Undefined when the policy has no rate limit. */
  readonly limiter: LocalRateLimiter | undefined;
  readonly source: 'static' | 'server';
}

/**
 * The inbound policy in force. The filters read `current` on every request, so a new policy applies
 * to the next request on every connection, open ones included, without dropping any. A Server
 * that fails validation is rejected with its reason (logged, counted by code) and the last valid
 * policy stays: a bad update never opens or closes the door by accident. The rate limiter (and
 * its buckets) survives an update that leaves the rate limit as it was.
 */
export class InboundPolicyStore {
  private state: PolicyState;

  constructor(
    fallback: InboundPolicy,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly metrics: PolicyMetrics,
  ) {
    this.state = this.build(fallback, 'static');
    metrics.policyApplied('static');
  }

  get current(): PolicyState {
    return this.state;
  }

  /** Applies a Server from the policy server; false (and the last policy kept) when it is invalid. */
  applyServer(server: inbound.Server): boolean {
    let policy: InboundPolicy;
    try {
      policy = policyFromServer(server);
    } catch (err) {
      // Anything else than a PolicyError is a bug in the translation: still no reason to drop the policy in force.
      const code = err instanceof PolicyError ? err.code : 'INTERNAL';
      this.metrics.policyRejected(code);
      this.logger.warn({ code, reason: (err as Error).message, kept: this.state.policy.server.name }, 'inbound policy rejected; keeping the last valid one');
      return false;
    }
    this.state = this.build(policy, 'server');
    this.metrics.policyApplied('server');
    this.logger.info({ server: policy.server, routes: policy.routes.length, rateLimit: policy.rateLimit !== undefined }, 'inbound policy applied');
    return true;
  }

  private build(policy: InboundPolicy, source: PolicyState['source']): PolicyState {
    const previous = this.state as PolicyState | undefined;
    const keep = previous?.limiter !== undefined && sameRateLimit(previous.policy.rateLimit, policy.rateLimit);
    const limiter = keep ? previous.limiter : policy.rateLimit === undefined ? undefined : new LocalRateLimiter(policy.rateLimit, this.clock);
    return { policy, limiter, source };
  }
}
