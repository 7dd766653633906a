import { CircuitBreakers, type BalancerKind, type Clock, type Random } from '@trellis/balance';
import type { SecureContext } from 'node:tls';
import type { Logger } from 'pino';
import type { OverloadGuard } from '../process/overload-manager';
import type { Discovery } from '@trellis/discovery';
import { accessLogLayer, type OutboundAccessLogOptions } from './access-log';
import type { AuthorityOptions } from './authority';
import type { Poke } from './autoscaler-poke';
import { Backend } from './backend';
import { BalanceLayer } from './balance';
import { compileBackendPolicy } from './backend-policy';
import { circuitBreakerLayer } from './circuit-breaker';
import { EndpointConnections } from './endpoint-connections';
import { endpointPool } from './endpoint-pool';
import type { Exchange } from './exchange';
import { FailFastLayer } from './fail-fast';
import { forwardLayer } from './forward';
import type { EndpointTls } from './mesh-connect';
import { compose, ReadySignal } from './layer';
import type { OutboundMetrics } from './metrics';
import { overloadLayer } from './overload';
import type { PolicyDiscovery } from './policy-client';
import { requestTimeoutLayer } from './request-timeout';
import { rescue } from './rescue';
import { retryLayer } from './retry';
import { routeLayer } from './route';
import { ScaleFromZeroLayer } from './scale-from-zero';
import { ServiceCache } from './service-cache';
import { splitLayer } from './split';
import { targetLayer } from './target';

export interface StackDeps {
  discovery: Discovery;
  /** OutboundPolicies.Watch per authority (HTTPRoute/GRPCRoute); GetProfile is the fallback. */
  policies: PolicyDiscovery;
  metrics: OutboundMetrics;
  logger: Logger;
  clock: Clock;
  random: Random;
  /** The balancer of backends whose Service names none. */
  balancer: BalancerKind;
  authority: AuthorityOptions;
  selfAuthorities: ReadonlySet<string>;
  poke: Poke | undefined;
  failFastMs: number;
  profileWaitMs: number;
  /** This proxy's certificate for mutual TLS to endpoints with an identity; undefined: identity is off (plaintext). */
  meshTls: { secureContext(): SecureContext | undefined } | undefined;
  /** Envoy-style access log (TRELLIS_ACCESS_LOG); undefined: off, not in the stack. */
  accessLog?: OutboundAccessLogOptions;
  /** The overload manager's shedding; undefined: never shed. */
  overload?: OverloadGuard;
}

export interface OutboundStack {
  serve(ex: Exchange): Promise<void>;
  services: ServiceCache;
}

/**
 * The outbound stack, top to bottom (linkerd2-proxy's app/outbound/src/http/concrete.rs):
 *
 *   rescue            rescue.ts            the one place errors become responses
 *   access log        access-log.ts        one Envoy-style line per request (TRELLIS_ACCESS_LOG)
 *   overload          overload.ts          503 `overloaded` at once while the overload manager sheds
 *   target            target.ts            authority -> mesh service, or forward outside the mesh
 *   route             route.ts             HTTPRoute/GRPCRoute or ServiceProfile rule, filters, budget deposit, per-route metrics
 *   request timeout   request-timeout.ts   the rule's request timeout, up to the response headers
 *   retry             retry.ts             unsent requests always; the rule's retries (count, budget), per-attempt timeout
 *   split             split.ts             the rule's weighted backends -> one backend, its filters
 *   ── per backend (backend.ts) ──
 *   fail-fast gate    fail-fast.ts         queue while not ready; 503 after the fail-fast timeout
 *   scale-from-zero   scale-from-zero.ts   poke the autoscaler, hold requests until endpoints appear
 *   circuit breaker   circuit-breaker.ts   Envoy's max requests (and connections, pending, retries)
 *   balance           balance.ts           P2C peak-EWMA or the Service's balancer, hash key, outliers
 *   endpoint pool     endpoint-pool.ts     HTTP/1.1 pool or HTTP/2 session to the endpoint
 */
export function createOutboundStack(deps: StackDeps): OutboundStack {
  const services: ServiceCache = new ServiceCache({
    discovery: deps.discovery,
    policies: deps.policies,
    metrics: deps.metrics,
    logger: deps.logger,
    clock: deps.clock,
    authority: deps.authority,
    profileWaitMs: deps.profileWaitMs,
    newBackend: (authority) => backendStack(authority, deps, services),
  });
  const forward = compose([forwardLayer({ direct: (hostPort) => services.direct(hostPort) })], endpointPool());
  const stack = compose(
    [
      ...(deps.accessLog === undefined ? [] : [accessLogLayer(deps.accessLog, deps.clock)]),
      ...(deps.overload ? [overloadLayer(deps.overload)] : []),
      targetLayer({ authority: deps.authority, selfAuthorities: deps.selfAuthorities, logical: (a) => services.logical(a), forward }),
      routeLayer({ random: deps.random }),
      requestTimeoutLayer(),
      retryLayer({ random: deps.random }),
      splitLayer({ backend: (a) => services.backend(a), random: deps.random }),
    ],
    (call) => call.backend.serve(call),
  );
  return { serve: rescue(stack, deps.logger), services };
}

/** Mutual TLS to an endpoint that has an identity, when this proxy has one too (else plaintext, as Linkerd's `no_identity`). */
function endpointTls(identity: string | undefined, meshTls: StackDeps['meshTls']): EndpointTls | undefined {
  if (identity === undefined || meshTls === undefined) return undefined;
  return { serverName: identity, secureContext: () => meshTls.secureContext() };
}

/** One backend's layers, top to bottom, and the state they share (readiness, breaker counters). */
function backendStack(authority: string, deps: StackDeps, services: ServiceCache): Backend {
  const { clock, logger, metrics } = deps;
  const signal = new ReadySignal();
  const policy = compileBackendPolicy(undefined, deps.balancer);
  const breakers = new CircuitBreakers(policy.breakers);
  const balance = new BalanceLayer({
    authority,
    clock,
    random: deps.random,
    logger,
    signal,
    policy,
    newEntry: (endpoint) => ({
      endpoint,
      connections: new EndpointConnections(endpoint.id, logger, breakers, endpointTls(endpoint.identity, deps.meshTls)),
      series: metrics.endpoint(authority, endpoint.labels),
    }),
    direct: () => services.direct(authority),
    onEjection: (ejection) => metrics.ejection(authority, ejection.reason),
  });
  const hold = new ScaleFromZeroLayer({ authority, clock, logger, poke: deps.poke, inner: balance, signal });
  const gate = new FailFastLayer({ authority, clock, failFastMs: deps.failFastMs, inner: hold, signal });
  const serve = compose([gate.layer, hold.layer, circuitBreakerLayer({ authority, breakers }), balance.layer], endpointPool());
  return new Backend(
    authority,
    { serve, gate, hold, breakers, balance },
    {
      resolution$: deps.discovery.resolve(authority),
      profile$: deps.discovery.profile(authority),
      defaultBalancer: deps.balancer,
      logger,
      onPolicyProblem: () => metrics.policyProblem(authority),
    },
  );
}
