import type { RouteRequest } from './model';

/** A request as routes see it, from a method, an origin-form target and headers. */
export function request(method: string, target: string, headers: Record<string, string> = {}, host?: string): RouteRequest {
  const q = target.indexOf('?');
  return {
    method,
    path: q < 0 ? target : target.slice(0, q),
    query: q < 0 ? '' : target.slice(q + 1),
    host,
    header: (name) => headers[name],
  };
}
