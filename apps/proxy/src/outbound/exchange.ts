import http2, { type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import type { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { requestBody, type IncomingRequest, type OutgoingResponse } from '../http1/server-kind';
import { errorHeaders, errorResponse, isGrpcContentType } from '../proxy-error';
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
  /** A request header's value (the first, when repeated), for hash keys. */
  header(name: string): string | undefined;
  /** The client's IP address (the source-ip hash key). */
  readonly remoteAddress: string | undefined;
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

function firstValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Splits an HTTP/1.1 request-target; absolute-form `http://host/path` gives its own authority. */
function h1Target(req: IncomingRequest): { authority: string | undefined; path: string } {
  const url = req.url ?? '/';
  if (url.startsWith('/') || url === '*') return { authority: req.headers.host, path: url };
  const lower = url.slice(0, 7).toLowerCase();
  if (lower !== 'http://') throw new OutboundError('BAD_REQUEST', `unsupported request target ${JSON.stringify(url.slice(0, 64))}`);
  const slash = url.indexOf('/', 7);
  const authority = slash < 0 ? url.slice(7) : url.slice(7, slash);
  const path = slash < 0 ? '/' : url.slice(slash);
  return { authority: authority.includes('@') ? undefined : authority, path };
}

/** What both protocols share: the request's abort signal and whether the client went away. */
abstract class BaseExchange {
  readonly abort = new RequestAbort();
  private gone = false;

  clientGone(): boolean {
    return this.gone;
  }

  protected clientWentAway(): void {
    this.gone = true;
    this.abort.abort(clientGoneError());
  }
}

type ClosingResponse = OutgoingResponse & { exchange: H1Exchange };

// A shared listener that finds its exchange on the response, not a closure per request; 'close' comes
// once, so on() rather than once(), which wraps the listener.
function onResponseClose(this: ClosingResponse): void {
  this.exchange.closed();
}

/** An HTTP/1.1 exchange: one object per request, no per-request closures. */
class H1Exchange extends BaseExchange implements Exchange {
  readonly protocol = 'h1';
  readonly method: string;
  readonly path: string;
  readonly authority: string | undefined;
  readonly grpc: boolean;
  readonly hasBody: boolean;

  constructor(
    private readonly req: IncomingRequest,
    private readonly res: OutgoingResponse,
    private readonly onClose: (socket: Socket) => void,
  ) {
    super();
    const { authority, path } = h1Target(req);
    const headers = req.headers;
    const contentLength = headers['content-length'];
    this.method = req.method ?? 'GET';
    this.path = path;
    this.authority = authority;
    this.grpc = isGrpcContentType(headers['content-type']);
    this.hasBody = contentLength !== undefined ? contentLength !== '0' : headers['transfer-encoding'] !== undefined;
    (res as ClosingResponse).exchange = this;
    res.on('close', onResponseClose);
  }

  /** The response closed, finished or not. */
  closed(): void {
    this.onClose(this.req.socket);
    if (!this.res.writableFinished) this.clientWentAway();
  }

  get bodySource(): Readable {
    return requestBody(this.req);
  }

  get remoteAddress(): string | undefined {
    return this.req.socket.remoteAddress;
  }

  header(name: string): string | undefined {
    return firstValue(this.req.headers[name]);
  }

  h1Headers(authority: string): string[] {
    return h1RequestHeaders(this.req.rawHeaders, this.req.headers.connection, authority);
  }

  h2Headers(): http2.OutgoingHttpHeaders {
    return h2RequestHeaders(this.req.headers);
  }

  respond(r: UpstreamResponse): Promise<void> {
    const res = this.res;
    res.writeHead(r.status, responseHeaders(r.headers));
    if (this.method === 'HEAD' || NO_BODY_STATUS.has(r.status)) {
      r.discard();
      res.end();
      return Promise.resolve();
    }
    // Both servers' responses are the Writable-like sink pipeTo uses (write, end, 'drain', 'finish', 'close', destroy).
    return r.pipeTo(res as unknown as Writable);
  }

  fail(err: unknown): void {
    const res = this.res;
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const e = errorResponse(err);
    res.writeHead(e.status, errorHeaders(e, false));
    res.end(`${e.reason}\n`);
  }
}

/**
 * The exchange of an HTTP/1.1 request; `onClose` runs with the request's socket when its response closes (finished or not).
 * Throws OutboundError for a request target the proxy does not accept.
 */
export function h1Exchange(req: IncomingRequest, res: OutgoingResponse, onClose: (socket: Socket) => void): Exchange {
  return new H1Exchange(req, res, onClose);
}

type ClientStream = ServerHttp2Stream & { exchange: H2Exchange };

// The client stream's listeners are shared functions that find their exchange on the stream (no closures per request).
// Events a stream emits once ('close', 'wantTrailers') are listened to with on(): once() wraps the listener
// and removes it again, which on a stream costs more than the listener.
function onClientStreamClose(this: ClientStream): void {
  if (!this.writableFinished || this.rstCode !== http2.constants.NGHTTP2_NO_ERROR) this.exchange.clientClosed();
}

/** A stream reset by the client emits 'error'; the abort that 'close' triggers handles it. */
function ignoreStreamError(): void {}

function onWantTrailers(this: ClientStream): void {
  const trailers = this.exchange.upstreamTrailers();
  this.sendTrailers(trailers === undefined ? {} : responseHeaders(trailers));
}

/** An HTTP/2 exchange on a raw server stream. */
class H2Exchange extends BaseExchange implements Exchange {
  readonly protocol = 'h2';
  readonly method: string;
  readonly path: string;
  readonly authority: string | undefined;
  readonly grpc: boolean;
  readonly hasBody: boolean;
  /** The response being relayed, whose trailers go out once its body has. */
  private upstream: UpstreamResponse | undefined;

  constructor(
    private readonly stream: ServerHttp2Stream,
    private readonly headers: IncomingHttpHeaders,
    flags: number,
  ) {
    super();
    this.method = headers[':method'] ?? 'GET';
    this.path = headers[':path'] ?? '/';
    this.authority = headers[':authority'] ?? headers.host;
    this.grpc = isGrpcContentType(headers['content-type']);
    this.hasBody = (flags & http2.constants.NGHTTP2_FLAG_END_STREAM) === 0;
    (stream as ClientStream).exchange = this;
    stream.on('close', onClientStreamClose);
    stream.on('error', ignoreStreamError);
  }

  /** The client reset the stream or it closed before the whole response went out. */
  clientClosed(): void {
    this.clientWentAway();
  }

  upstreamTrailers(): Record<string, string | string[] | undefined> | undefined {
    return this.upstream?.trailers();
  }

  get bodySource(): Readable {
    return this.stream;
  }

  get remoteAddress(): string | undefined {
    return this.stream.session?.socket?.remoteAddress;
  }

  header(name: string): string | undefined {
    return firstValue(this.headers[name]);
  }

  h1Headers(): string[] {
    return [];
  }

  h2Headers(): http2.OutgoingHttpHeaders {
    return h2RequestHeaders(this.headers);
  }

  respond(r: UpstreamResponse): Promise<void> {
    const stream = this.stream;
    if (stream.destroyed) {
      r.discard();
      return Promise.reject(new Error('the client reset the stream'));
    }
    const out = responseHeaders(r.headers);
    out[':status'] = r.status;
    if (r.endStream) {
      stream.respond(out, { endStream: true });
      return Promise.resolve();
    }
    this.upstream = r;
    stream.respond(out, { waitForTrailers: true });
    stream.on('wantTrailers', onWantTrailers);
    return r.pipeTo(stream);
  }

  fail(err: unknown): void {
    const stream = this.stream;
    if (stream.destroyed || stream.closed) return;
    if (stream.headersSent) {
      stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
      return;
    }
    const e = errorResponse(err);
    try {
      if (this.grpc) {
        stream.respond({ ':status': 200, ...errorHeaders(e, true) }, { endStream: true });
        return;
      }
      stream.respond({ ':status': e.status, ...errorHeaders(e, false) });
      stream.end(`${e.reason}\n`);
    } catch {
      // The session went away while answering: nothing is left to tell the client.
      stream.destroy();
    }
  }
}

export function h2Exchange(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, flags: number): Exchange {
  return new H2Exchange(stream, headers, flags);
}
