import { errorResponse } from '../proxy-error';
import { finalClassification } from './classify';
import type { Layer } from './layer';
import { DEFAULT_ROUTE, selectRoute } from './profile';

function pathOf(path: string): string {
  const q = path.indexOf('?');
  return q < 0 ? path : path.slice(0, q);
}

/**
 * route (ServiceProfile): waits for the service's first profile (the logical service bounds the
 * wait), takes the first route that matches, deposits the request in the profile's retry budget,
 * and counts the request and its final outcome per route, retries included.
 */
export function routeLayer(): Layer {
  return (next) => async (call) => {
    const logical = call.logical;
    const profile = logical.profile ?? (await logical.ready());
    const route = profile.routes.length === 0 ? DEFAULT_ROUTE : selectRoute(profile, call.ex.method, pathOf(call.ex.path));
    const rs = logical.series(route);
    call.profile = profile;
    call.route = route;
    call.routeSeries = rs;
    rs.request();
    profile.budget.deposit();
    const started = performance.now();
    try {
      const r = await next(call);
      r.onEnd(() => rs.response(r.status, finalClassification(route, r), performance.now() - started));
      return r;
    } catch (err) {
      // The proxy answers this request itself (a client that went away is answered by nobody).
      if (!call.ex.clientGone()) rs.response(errorResponse(err).status, 'failure', performance.now() - started);
      throw err;
    }
  };
}
