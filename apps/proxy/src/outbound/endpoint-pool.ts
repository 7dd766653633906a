import { classify, finalGrpcStatus } from './classify';
import type { EndpointConnections } from './endpoint-connections';
import { upstreamError } from './errors';
import type { Exchange } from './exchange';
import type { OutboundCall, Service } from './layer';
import type { RequestAbort } from './request-abort';
import type { RequestBody } from './request-body';
import { sendH1, sendH2, type UpstreamResponse } from './upstream';

function send(
  ex: Exchange,
  connections: EndpointConnections,
  authority: string,
  body: RequestBody,
  abort: RequestAbort,
  onConnected: (() => void) | undefined,
): Promise<UpstreamResponse> {
  if (ex.protocol === 'h2') return sendH2(connections.h2(), ex.h2Headers(), body, abort, onConnected);
  return sendH1(connections.h1(), ex.method, ex.path, ex.h1Headers(authority), body, abort, onConnected);
}

/**
 * endpoint pool (the bottom of the stack): sends the attempt on the chosen endpoint's connections,
 * an HTTP/1.1 keep-alive pool or an HTTP/2 session, as the client spoke, and counts it per endpoint
 * (`request_total`, `response_total`, `response_latency_ms`). A failure becomes an OutboundError
 * that says whether the request left; an aborted call fails with the abort's reason.
 */
export function endpointPool(): Service {
  return async (call: OutboundCall) => {
    const { ex, endpoint } = call;
    const started = performance.now();
    endpoint.series.request();
    let r: UpstreamResponse;
    try {
      // The balancer's RTT starts once the connection is up: connect and TLS handshake are not the endpoint's latency.
      r = await send(ex, endpoint.connections, ex.authority ?? endpoint.id, call.body, call.abort, endpoint.handle && (() => endpoint.handle?.connected()));
    } catch (err) {
      throw call.abort.aborted ? call.abort.reason : upstreamError(err, endpoint.id);
    }
    r.onEnd(() => {
      const grpcStatus = finalGrpcStatus(r);
      endpoint.series.response(r.status, grpcStatus, classify(call.route.classes, r.status, grpcStatus), performance.now() - started);
    });
    return r;
  };
}
