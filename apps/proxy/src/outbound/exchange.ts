import http2, { type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { errorHeaders, errorResponse } from './error-response';
import { OutboundError } from './errors';
import { h1RequestHeaders, h2RequestHeaders, responseHeaders } from './headers';
import { RequestAbort } from './request-abort';
import type { UpstreamResponse } from './upstream';

/**
 * One request/response pair as the outbound stack sees it, whatever the downstream protocol:
 * HTTP/1.1 (Node's http server) or HTTP/2 (a raw server stream, so that trailers and
 * trailers-only gRPC responses pass through exactly).
 */
export interface Exchange {
  readonly protocol: 'h1' | 'h2';
  readonly method: string;
  /** Path and query (origin form). */
  readonly path: string;
  /** The authority the client addressed; undefined when it sent none. */
  readonly authority: string | undefined;
  readonly grpc: boolean;
  readonly hasBody: boolean;
  readonly bodySource: Readable;
  /**
   * Aborted when the client goes away before the response is complete (then clientGone() is
   * true), or by the route timeout.
   */
  readonly abort: RequestAbort;
  clientGone(): boolean;
  h1Headers(authority: string): string[];
  h2Headers(): http2.OutgoingHttpHeaders;
  respond(r: UpstreamResponse): Promise<void>;
  /** Answers with the proxy error for `err`, or cuts the response if its headers were sent. */
  fail(err: unknown): void;
}

const NO_BODY_STATUS = new Set([204, 304]);

function clientGoneError(): OutboundError {
  return new OutboundError('UPSTREAM_FAILED', 'the client went away');
}

function isGrpc(contentType: string | undefined): boolean {
  return contentType !== undefined && contentType.startsWith('application/grpc');
}

/** Splits an HTTP/1.1 request-target; absolute-form `http://host/path` gives its own authority. */
function h1Target(req: IncomingMessage): { authority: string | undefined; path: string } {
  const url = req.url ?? '/';
  if (url.startsWith('/') || url === '*') return { authority: req.headers.host, path: url };
  const lower = url.slice(0, 7).toLowerCase();
  if (lower !== 'http://') throw new OutboundError('BAD_REQUEST', `unsupported request target ${JSON.stringify(url.slice(0, 64))}`);
  const slash = url.indexOf('/', 7);
  const authority = slash < 0 ? url.slice(7) : url.slice(7, slash);
  const path = slash < 0 ? '/' : url.slice(slash);
  return { authority: authority.includes('@') ? undefined : authority, path };
}

export function h1Exchange(req: IncomingMessage, res: ServerResponse): Exchange {
  const { authority, path } = h1Target(req);
  const abort = new RequestAbort();
  let gone = false;
  res.once('close', () => {
    if (res.writableFinished) return;
    gone = true;
    abort.abort(clientGoneError());
  });
  const contentLength = req.headers['content-length'];
  return {
    protocol: 'h1',
    method: req.method ?? 'GET',
    path,
    authority,
    grpc: isGrpc(req.headers['content-type']),
    hasBody: contentLength !== undefined ? contentLength !== '0' : req.headers['transfer-encoding'] !== undefined,
    bodySource: req,
    abort,
    clientGone: () => gone,
    h1Headers: (a) => h1RequestHeaders(req.rawHeaders, req.headers.connection, a),
    h2Headers: () => h2RequestHeaders(req.headers),
    respond: (r) =>
      new Promise<void>((resolve, reject) => {
        res.writeHead(r.status, responseHeaders(r.headers));
        if (req.method === 'HEAD' || NO_BODY_STATUS.has(r.status)) {
          r.discard();
          res.end();
          resolve();
          return;
        }
        r.pipeTo(res).then(resolve, reject);
      }),
    fail: (err) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const e = errorResponse(err);
      res.writeHead(e.status, errorHeaders(e, false));
      res.end(`${e.reason}\n`);
    },
  };
}

export function h2Exchange(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, flags: number): Exchange {
  const abort = new RequestAbort();
  let gone = false;
  stream.once('close', () => {
    if (stream.writableFinished && stream.rstCode === http2.constants.NGHTTP2_NO_ERROR) return;
    gone = true;
    abort.abort(clientGoneError());
  });
  // A stream reset by the client emits 'error'; the abort above handles it.
  stream.on('error', () => undefined);
  const grpc = isGrpc(headers['content-type']);
  return {
    protocol: 'h2',
    method: headers[':method'] ?? 'GET',
    path: headers[':path'] ?? '/',
    authority: headers[':authority'] ?? headers.host,
    grpc,
    hasBody: (flags & http2.constants.NGHTTP2_FLAG_END_STREAM) === 0,
    bodySource: stream,
    abort,
    clientGone: () => gone,
    h1Headers: () => [],
    h2Headers: () => h2RequestHeaders(headers),
    respond: (r) =>
      new Promise<void>((resolve, reject) => {
        if (stream.destroyed) {
          r.discard();
          reject(new Error('the client reset the stream'));
          return;
        }
        const out = responseHeaders(r.headers);
        out[':status'] = r.status;
        if (r.endStream) {
          stream.respond(out, { endStream: true });
          resolve();
          return;
        }
        stream.respond(out, { waitForTrailers: true });
        stream.once('wantTrailers', () => {
          const trailers = r.trailers();
          stream.sendTrailers(trailers === undefined ? {} : responseHeaders(trailers));
        });
        r.pipeTo(stream).then(resolve, reject);
      }),
    fail: (err) => {
      if (stream.destroyed || stream.closed) return;
      if (stream.headersSent) {
        stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
        return;
      }
      const e = errorResponse(err);
      try {
        if (grpc) {
          stream.respond({ ':status': 200, ...errorHeaders(e, true) }, { endStream: true });
          return;
        }
        stream.respond({ ':status': e.status, ...errorHeaders(e, false) });
        stream.end(`${e.reason}\n`);
      } catch {
        // The session went away while answering: nothing is left to tell the client.
        stream.destroy();
      }
    },
  };
}
