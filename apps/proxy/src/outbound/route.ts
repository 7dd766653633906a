import type { Random } from '@trellis/balance';
import { selectRule, type HeaderModifier, type RouteTable } from '@trellis/routes';
import { errorResponse } from '../proxy-error';
import { finalClassification } from './classify';
import { OutboundError } from './errors';
import { callNext, type Layer, type OutboundCall, type Service } from './layer';
import { applyFilters, routeRequest, splitTarget, withResponseModifiers } from './route-filters';
import type { UpstreamResponse } from './upstream';

/**
 * route: waits for the service's route table (its OutboundPolicy, or its ServiceProfile), takes the
 * rule the request matches (Gateway API precedence; a profile's routes in order), applies the rule's
 * filters, deposits the request in the service's retry budget, and counts the request and its final
 * outcome per route, retries included. A request no rule matches, once a Gateway API route is
 * attached, gets 404 `no route` (GAMMA).
 */
export function routeLayer(deps: { random: Random }): Layer {
  return (next) => (call) => {
    const table = call.logical.table;
    if (table === undefined) return call.logical.ready().then((ready) => routed(next, call, ready, deps.random));
    return routed(next, call, table, deps.random);
  };
}

function routed(next: Service, call: OutboundCall, table: RouteTable, random: Random): Promise<UpstreamResponse> {
  const logical = call.logical;
  const selection = selectRule(table, routeRequest(call.ex));
  if (selection === undefined) {
    return Promise.reject(new OutboundError('NO_ROUTE', `no route of ${logical.authority} matches ${call.ex.method} ${splitTarget(call.ex.path).path}`));
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
  let responseModifiers: HeaderModifier[] | undefined;
  let answer: UpstreamResponse | undefined;
  if (rule.filters.length > 0) {
    responseModifiers = [];
    answer = applyFilters(rule.filters, call, random, responseModifiers);
  }
  return (answer === undefined ? callNext(next, call) : Promise.resolve(answer)).then(
    (r) => {
      r.onEnd(() => rs.response(r.status, finalClassification(rule, r), performance.now() - started));
      return responseModifiers === undefined ? r : withResponseModifiers(r, responseModifiers);
    },
    (err: unknown) => {
      // The proxy answers this request itself (a client that went away is answered by nobody).
      if (!call.ex.clientGone()) rs.response(errorResponse(err).status, 'failure', performance.now() - started);
      throw err;
    },
  );
}
