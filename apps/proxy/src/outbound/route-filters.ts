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
  const end = authority.startsWith('[') ? authority.indexOf(']') + 1 : authority.indexOf(':');
  return (end < 0 ? authority : authority.slice(0, end)).toLowerCase();
}

function portOf(authority: string | undefined): number | undefined {
  const m = /:(\d+)$/.exec(authority ?? '');
  return m === null ? undefined : Number(m[1]);
}

/**
 * The request as routes look at it, each part worked out when a match first asks for it: a table
 * with no route (the default profile) reads none of them.
 */
class ExchangeRouteRequest implements RouteRequest {
  private target: { path: string; query: string } | undefined;
  private hostName: string | undefined | null = null;

  constructor(private readonly ex: Exchange) {}

  get method(): string {
    return this.ex.method;
  }

  get path(): string {
    return this.splitTarget().path;
  }

  get query(): string {
    return this.splitTarget().query;
  }

  get host(): string | undefined {
    if (this.hostName === null) this.hostName = hostOf(this.ex.authority);
    return this.hostName;
  }

  header(name: string): string | undefined {
    return this.ex.header(name);
  }

  private splitTarget(): { path: string; query: string } {
    this.target ??= splitTarget(this.ex.path);
    return this.target;
  }
}

export function routeRequest(ex: Exchange): RouteRequest {
  return new ExchangeRouteRequest(ex);
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

