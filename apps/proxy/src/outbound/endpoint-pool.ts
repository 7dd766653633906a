import { classify, modifyHeaderList, modifyHeaderRecord } from '@trellis/routes';
import { finalGrpcStatus } from './classify';
import type { EndpointConnections } from './endpoint-connections';
import { upstreamError } from './errors';
import type { Exchange } from './exchange';
import type { OutboundCall, RequestEdits, Service } from './layer';
import type { RequestAbort } from './request-abort';
import type { RequestBody } from './request-body';
import { sendH1, sendH2, type ConnectedWatcher, type UpstreamResponse } from './upstream';

/** The request target with a filter's path (the query kept). */
function editedPath(target: string, path: string | undefined): string {
  if (path === undefined) return target;
  const q = target.indexOf('?');
  return q < 0 ? path : path + target.slice(q);
}

function send(
  ex: Exchange,
  connections: EndpointConnections,
  authority: string,
  edits: RequestEdits | undefined,
  body: RequestBody,
  abort: RequestAbort,
  watcher: ConnectedWatcher | undefined,
): Promise<UpstreamResponse> {
  if (ex.protocol === 'h2') {
    const headers = ex.h2Headers();
    if (edits !== undefined) {
      for (const m of edits.headers) modifyHeaderRecord(headers, m);
      if (edits.authority !== undefined) headers[':authority'] = edits.authority;
      if (edits.path !== undefined) headers[':path'] = editedPath(ex.path, edits.path);
    }
    return sendH2(connections.h2(), headers, body, abort, watcher);
  }
  if (edits === undefined) return sendH1(connections.h1(), ex.method, ex.path, ex.h1Headers(authority), body, abort, watcher);
  let headers = ex.h1Headers(edits.authority ?? authority);
  for (const m of edits.headers) headers = modifyHeaderList(headers, m);
  return sendH1(connections.h1(), ex.method, editedPath(ex.path, edits.path), headers, body, abort, watcher);
}

/**
 * endpoint pool (the bottom of the stack): sends the attempt on the chosen endpoint's connections,
 * an HTTP/1.1 keep-alive pool or an HTTP/2 session, as the client spoke, and counts it per endpoint
 * (`request_total`, `response_total`, `response_latency_ms`). Route filters' edits (headers, authority,
 * path) are applied to the request here, as it is sent. A failure becomes an OutboundError
 * that says whether the request left; an aborted call fails with the abort's reason.
 */
export function endpointPool(): Service {
  return (call: OutboundCall) => {
    const { ex, endpoint } = call;
    const started = performance.now();
    endpoint.series.request();
    let sent: Promise<UpstreamResponse>;
    try {
      // The balancer's RTT starts once the connection is up: connect and TLS handshake are not the endpoint's latency.
      sent = send(ex, endpoint.connections, ex.authority ?? endpoint.id, call.edits, call.body, call.abort, endpoint.handle);
    } catch (err) {
      sent = Promise.reject(err);
    }
    return sent.then(
      (r) => {
        r.onEnd(() => {
          const grpcStatus = finalGrpcStatus(r);
          endpoint.series.response(r.status, grpcStatus, classify(call.rule.classes, r.status, grpcStatus), performance.now() - started);
        });
        return r;
      },
      (err: unknown) => {
        throw call.abort.aborted ? call.abort.reason : upstreamError(err, endpoint.id);
      },
    );
  };
}
