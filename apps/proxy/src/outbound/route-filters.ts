// How the route and split layers apply Gateway API filters to a call; the pure parts are in @trellis/routes.
import type { Random } from '@trellis/balance';
import {
  failureApplies,
  matchedPrefix,
  modifyHeaderRecord,
  redirectLocation,
  rewritePath,
  type Filter,
  type HeaderModifier,
  type RouteRequest,
} from '@trellis/routes';
import type { Exchange } from './exchange';
import type { OutboundCall, RequestEdits } from './layer';
import { injectedFailure, redirectResponse } from './synthetic-response';
import type { UpstreamResponse } from './upstream';

export function splitTarget(target: string): { path: string; query: string } {
  const q = target.indexOf('?');
  return q < 0 ? { path: target, query: '' } : { path: target.slice(0, q), query: target.slice(q + 1) };
}

function hostOf(authority: string | undefined): string | undefined {
  if (authority === undefined) return undefined;
  const host = authority.startsWith('[') ? authority.slice(0, authority.indexOf(']') + 1) : authority.split(':')[0];
  return host?.toLowerCase();
}

function portOf(authority: string | undefined): number | undefined {
  const m = /:(\d+)$/.exec(authority ?? '');
  return m === null ? undefined : Number(m[1]);
}

/** The request as routes look at it; headers are read from the exchange only when a match asks. */
export function routeRequest(ex: Exchange): RouteRequest {
  const { path, query } = splitTarget(ex.path);
  return { method: ex.method, path, query, host: hostOf(ex.authority), header: (name) => ex.header(name) };
}

function editsOf(call: OutboundCall): RequestEdits {
  call.edits ??= { headers: [], authority: undefined, path: undefined };
  return call.edits;
}

/**
 * Applies a rule's (or a backend's) filters in order. Returns the proxy's own answer when a filter
 * answers (redirect, injected failure); request edits go to the call, response header modifiers to
 * `responseModifiers`.
 */
export function applyFilters(
  filters: readonly Filter[],
  call: OutboundCall,
  random: Random,
  responseModifiers: HeaderModifier[],
): UpstreamResponse | undefined {
  const ex = call.ex;
  for (const f of filters) {
    switch (f.kind) {
      case 'request-headers':
        editsOf(call).headers.push(f.modifier);
        break;
      case 'response-headers':
        responseModifiers.push(f.modifier);
        break;
      case 'url-rewrite': {
        const edits = editsOf(call);
        if (f.host !== undefined) edits.authority = f.host;
        const { path } = splitTarget(edits.path ?? ex.path);
        if (f.path !== undefined) edits.path = rewritePath(path, f.path, matchedPrefix(call.match));
        break;
      }
      case 'redirect': {
        const { path, query } = splitTarget(ex.path);
        const authority = ex.authority ?? '';
        const location = redirectLocation(f, { scheme: 'http', host: hostOf(authority) ?? '', port: portOf(authority), path, query }, matchedPrefix(call.match));
        return redirectResponse(f.status, location);
      }
      case 'failure':
        if (failureApplies(f, random())) return injectedFailure(f, ex.grpc);
        break;
    }
  }
  return undefined;
}

export function withResponseModifiers(r: UpstreamResponse, modifiers: readonly HeaderModifier[]): UpstreamResponse {
  for (const m of modifiers) modifyHeaderRecord(r.headers, m);
  return r;
}

