import { authorize } from '@trellis/policy';
import type { Logger } from '../logger';
import { ForbiddenError, RouteNotFoundError } from './errors';
import type { Middleware } from './exchange';
import type { PolicyMetrics } from './policy-metrics';
import { policyRequestOf } from './policy-request';
import type { PolicyState } from './policy-store';

export interface AuthorizationOptions {
  /** The policy in force, read on every request (so updates apply to open connections too). */
  readonly policy: { readonly current: PolicyState };
  readonly metrics: PolicyMetrics;
  /** Audit mode: a request no authorization admits goes through, counted under Linkerd's audit authorization. */
  readonly audit: boolean;
  readonly logger: Logger;
}

/**
 * Linkerd's inbound HTTP authorization (`app/inbound/src/policy/http.rs`): the request's route in
 * the current policy, then the first of the route's authorizations that admits the client by
 * network and mesh identity. Allowed: counted in `inbound_http_authz_allow_total` and passed on.
 * Denied: counted in `inbound_http_authz_deny_total` and answered 403 `unauthorized request on
 * route` (gRPC PERMISSION_DENIED). No route: 404 (gRPC NOT_FOUND). A request let through by the
 * audit authorization is logged, as Linkerd logs it.
 */
export function authorization(options: AuthorizationOptions): Middleware {
  const { policy, metrics, audit, logger } = options;
  return (next) => (ex) => {
    const { policy: current } = policy.current;
    const decision = authorize(current, policyRequestOf(ex), { audit });
    switch (decision.kind) {
      case 'allow':
        metrics.allow(current.server, decision.route, decision.authz, ex.connectionTls);
        if (decision.audit) {
          logger.info(
            { server: current.server.name, route: decision.route.name, client: ex.remoteAddress, clientId: ex.connectionTls.clientId, method: ex.method, path: ex.target },
            'request allowed by audit',
          );
        }
        next(ex);
        return;
      case 'deny':
        metrics.deny(current.server, decision.route, ex.connectionTls);
        ex.fail(new ForbiddenError(`no authorization of route ${decision.route.name} on server ${current.server.name} admits the client`));
        return;
      case 'no-route':
        metrics.routeNotFound(current.server, ex.connectionTls);
        ex.fail(new RouteNotFoundError());
        return;
    }
  };
}
