import type { CircuitBreakers } from '@trellis/balance';
import type { Logger } from 'pino';
import type { Observable, Subscription } from 'rxjs';
import type { Resolution } from '@trellis/discovery';
import type { BalanceDescription, BalanceLayer } from './balance';
import { compileBackendPolicy, type BackendPolicy } from './backend-policy';
import type { FailFastLayer } from './fail-fast';
import type { BackendTarget, Service } from './layer';
import type { ScaleFromZeroLayer } from './scale-from-zero';
import type { BalancerKind } from '@trellis/balance';
import type { DestinationProfile } from '@trellis/proto';

export interface BackendDescription extends BalanceDescription {
  readonly authority: string;
  /** The fail-fast gate's state. */
  readonly gate: string;
  readonly waiting: number;
}

/** The stateful layers of one backend's stack, as stack.ts built them. */
export interface BackendParts {
  serve: Service;
  gate: FailFastLayer;
  hold: ScaleFromZeroLayer;
  breakers: CircuitBreakers;
  balance: BalanceLayer;
}

export interface BackendStreams {
  resolution$: Observable<Resolution>;
  /** The backend's own service profile, for its BackendPolicy (Service annotations). */
  profile$: Observable<DestinationProfile | null>;
  defaultBalancer: BalancerKind;
  logger: Logger;
  onPolicyProblem(problem: string): void;
}

/**
 * One concrete backend (a `svc.ns.svc.<domain>:port` the split chose): its stack of layers, fed by
 * its resolution stream (endpoint diffs into the balancer) and by its own profile's BackendPolicy
 * (balancer, hash key, outlier detection and circuit-breaker limits from the Service's annotations).
 */
export class Backend implements BackendTarget {
  readonly serve: Service;
  readonly breakers: CircuitBreakers;
  lastUsedMs = performance.now();
  private readonly subscriptions: Subscription[];
  private closed = false;

  constructor(
    readonly authority: string,
    private readonly parts: BackendParts,
    streams: BackendStreams,
  ) {
    this.breakers = parts.breakers;
    const serve = parts.serve;
    this.serve = (call) => {
      this.lastUsedMs = performance.now();
      return serve(call);
    };
    const logFailure = (what: string) => (err: unknown) => streams.logger.error({ authority, err }, `${what} stream failed`);
    this.subscriptions = [
      streams.resolution$.subscribe({ next: (r) => parts.balance.onResolution(r), error: logFailure('resolution') }),
      streams.profile$.subscribe({
        next: (p) => this.setPolicy(compileBackendPolicy(p?.backendPolicy, streams.defaultBalancer), streams),
        error: logFailure('profile'),
      }),
    ];
  }

  /** Requests waiting at the gate or held for a scale from zero. */
  pendingRequests(): number {
    return this.parts.gate.waiting + this.parts.hold.heldRequests;
  }

  endpointCounts(): { ready: number; pending: number } {
    return this.parts.balance.counts();
  }

  gateState(): string {
    return this.parts.gate.state;
  }

  /** A snapshot for the admin introspection pages. */
  describe(): BackendDescription {
    return { authority: this.authority, gate: this.parts.gate.state, waiting: this.pendingRequests(), ...this.parts.balance.describe() };
  }

  /** Idempotent: fails waiting requests, stops the streams and drains every endpoint's connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.subscriptions) s.unsubscribe();
    this.parts.gate.close();
    this.parts.hold.close();
    await this.parts.balance.close();
  }

  private setPolicy(policy: BackendPolicy, streams: BackendStreams): void {
    for (const problem of policy.problems) {
      streams.logger.warn({ backend: this.authority, problem }, 'backend policy setting ignored');
      streams.onPolicyProblem(problem);
    }
    this.parts.breakers.setLimits(policy.breakers);
    this.parts.balance.setPolicy(policy);
  }
}
