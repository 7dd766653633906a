import type { Random } from '@trellis/balance';
import { selectRule, type HeaderModifier } from '@trellis/routes';
import { errorResponse } from '../proxy-error';
import { finalClassification } from './classify';
import { OutboundError } from './errors';
import type { Layer } from './layer';
import { applyFilters, routeRequest, splitTarget, withResponseModifiers } from './route-filters';

/**
 * route: waits for the service's route table (its OutboundPolicy, or its ServiceProfile), takes the
 * rule the request matches (Gateway API precedence; a profile's routes in order), applies the rule's
 * filters, deposits the request in the service's retry budget, and counts the request and its final
 * outcome per route, retries included. A request no rule matches, once a Gateway API route is
 * attached, gets 404 `no route` (GAMMA).
 */
export function routeLayer(deps: { random: Random }): Layer {
  return (next) => async (call) => {
    const logical = call.logical;
    const table = logical.table ?? (await logical.ready());
    const selection = selectRule(table, routeRequest(call.ex));
    if (selection === undefined) {
      throw new OutboundError('NO_ROUTE', `no route of ${logical.authority} matches ${call.ex.method} ${splitTarget(call.ex.path).path}`);
    }
    const rule = selection.rule;
    const rs = logical.series(rule.name);
    call.budget = logical.budget;
    call.rule = rule;
    call.match = selection.match;
    call.routeSeries = rs;
    rs.request();
    logical.budget.deposit();
    const started = performance.now();
    const responseModifiers: HeaderModifier[] = [];
    try {
      const r = applyFilters(rule.filters, call, deps.random, responseModifiers) ?? (await next(call));
      r.onEnd(() => rs.response(r.status, finalClassification(rule, r), performance.now() - started));
      return withResponseModifiers(r, responseModifiers);
    } catch (err) {
      // The proxy answers this request itself (a client that went away is answered by nobody).
      if (!call.ex.clientGone()) rs.response(errorResponse(err).status, 'failure', performance.now() - started);
      throw err;
    }
  };
}
