import type { EndpointChoice, Layer } from './layer';

/**
 * forward: a request for an authority outside the mesh (an IP literal, a name outside the cluster
 * domain) goes to that authority's own connection pool, with no discovery, route or retry; its
 * body streams through.
 */
export function forwardLayer(deps: { direct(hostPort: string): EndpointChoice }): Layer {
  return (next) => (call) => {
    const { host, port } = call.target;
    const ex = call.ex;
    call.endpoint = deps.direct(host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);
    if (ex.hasBody) call.body = { kind: 'stream', stream: ex.bodySource };
    return next(call);
  };
}
