import { connect, constants, type ClientHttp2Session, type ClientHttp2Stream } from 'node:http2';
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { Control, Http1Pool, ResponseHandler } from '../http1/pool';
import type { Fields } from '../http1/response-parser';
import type { AppProtocol } from '../config/inbound-config';
import { AppError, AppUnavailableError, InboundError } from './errors';
import type { Exchange, Handler } from './exchange';
import { endToEndHeaders, stripHopByHop } from './hop-by-hop';

/** An h2c session to the app for HTTP/2 requests (gRPC needs HTTP/2 end to end), reopened on demand. */
export class AppHttp2Client {
  private session: ClientHttp2Session | undefined;
  private closed = false;

  constructor(private readonly origin: string) {}

  current(): ClientHttp2Session {
    if (this.closed) throw new Error('app client closed');
    const existing = this.session;
    if (existing && !existing.closed && !existing.destroyed) return existing;
    const session = connect(this.origin);
    const forget = () => {
      if (this.session === session) this.session = undefined;
    };
    session.on('error', forget);
    session.on('goaway', forget);
    session.once('close', forget);
    this.session = session;
    return session;
  }

  close(): void {
    this.closed = true;
    this.session?.close();
    this.session = undefined;
  }
}

function appFailure(ex: Exchange, err: Error): Error {
  return ex.responseStarted ? new AppError(err) : new AppUnavailableError(err);
}

/** Streams one HTTP/1.1 exchange through the keep-alive pool; no body is ever buffered whole. */
class Http1Forward implements ResponseHandler {
  private controller: Control | undefined;
  private cancelled: Error | undefined;
  /** Body bytes still to come when the app announced a content-length, else -1. */
  private remaining = -1;
  /** The body's last piece, held to go out with the end of the response (one write instead of two). */
  private last: Buffer | undefined;

  constructor(private readonly ex: Exchange) {
    ex.setCancel((err) => {
      this.cancelled = err;
      this.controller?.abort(err);
    });
  }

  onRequestStart(controller: Control): void {
    this.controller = controller;
    if (this.cancelled) controller.abort(this.cancelled);
  }

  onResponseStart(controller: Control, statusCode: number, headers: Fields): void {
    const ex = this.ex;
    ex.markResponseStarted();
    const length = headers['content-length'];
    if (typeof length === 'string') this.remaining = Number(length);
    try {
      ex.writeHead(statusCode, stripHopByHop(headers));
    } catch (err) {
      controller.abort(err as Error);
      ex.destroyResponse();
    }
  }

  onResponseData(controller: Control, chunk: Buffer): void {
    const ex = this.ex;
    ex.markActivity(chunk.length);
    if (chunk.length === this.remaining) {
      this.last = chunk;
      return;
    }
    this.remaining -= chunk.length;
    if (!ex.write(chunk)) {
      controller.pause();
      ex.onDrain(() => controller.resume());
    }
  }

  onResponseEnd(): void {
    this.ex.setCancel(undefined);
    this.ex.endResponse(this.last);
  }

  onResponseError(_controller: Control, err: Error): void {
    if (this.cancelled) return;
    this.ex.fail(appFailure(this.ex, err));
  }
}

const BAD_TARGET = new InboundError('BAD_REQUEST');

/** The request target in origin form (`/path?query`); absolute-form targets are reduced to it. */
function originForm(target: string): string | undefined {
  if (target.charCodeAt(0) === 47 /* '/' */) return target;
  if (!/^https?:\/\//i.test(target) || !URL.canParse(target)) return undefined;
  const url = new URL(target);
  return `${url.pathname}${url.search}`;
}

/** Header fields as the HTTP/1.1 pool takes them: a flat [name, value, ...] list, repeated fields kept. */
function flatFields(headers: OutgoingHttpHeaders): string[] {
  const out: string[] = [];
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) out.push(name, v);
    else out.push(name, String(value));
  }
  return out;
}

function forwardHttp1(pool: Http1Pool, ex: Exchange, path: string): void {
  const headers = endToEndHeaders(ex.headers, ex.extraHeaders);
  if (ex.isHttp2) headers.host ??= ex.headers[':authority'] as string | undefined;
  pool.dispatch({ method: ex.method, path, headers: flatFields(headers), body: ex.hasBody ? ex.body : null }, new Http1Forward(ex));
}

type AppStream = ClientHttp2Stream & { forward: Http2Forward };

// The app stream's listeners are shared functions that find their exchange on the stream (no closures per request).
// Events a stream emits once ('close', 'response', 'trailers', 'end') are listened to with on(): once() wraps the listener
// and removes it again, which on a stream costs more than the listener.
function onAppResponse(this: AppStream, headers: IncomingHttpHeaders): void {
  this.forward.response(headers);
}

function onAppData(this: AppStream, chunk: Buffer): void {
  this.forward.data(chunk);
}

function onAppTrailers(this: AppStream, trailers: IncomingHttpHeaders): void {
  this.forward.ex.addTrailers(stripHopByHop(trailers));
}

function onAppEnd(this: AppStream): void {
  this.forward.end();
}

function onAppError(this: AppStream, err: Error): void {
  this.forward.ex.fail(appFailure(this.forward.ex, err));
}

function onAppClose(this: AppStream): void {
  this.forward.close();
}

/** Relays one app stream's response into the exchange, with backpressure; HTTP/2 clients get the trailers too. */
class Http2Forward {
  private ended = false;

  constructor(
    readonly ex: Exchange,
    private readonly stream: ClientHttp2Stream,
  ) {}

  response(headers: IncomingHttpHeaders): void {
    const status = Number(headers[':status']);
    if (status < 200) return;
    const ex = this.ex;
    ex.markResponseStarted();
    try {
      // nghttp2 has refused connection-specific fields in the app's HTTP/2 response, so an HTTP/2 client gets the
      // app's own header object with the rest of the hop-by-hop set removed in place (:status is overwritten).
      // HTTP/1.1 clients get no trailers: Node only sends them on chunked responses that announce them.
      if (ex.isHttp2) ex.writeHead(status, stripHopByHop(headers), true);
      else ex.writeHead(status, endToEndHeaders(headers, undefined));
    } catch {
      this.stream.close(constants.NGHTTP2_CANCEL);
      ex.destroyResponse();
    }
  }

  data(chunk: Buffer): void {
    const ex = this.ex;
    ex.markActivity(chunk.length);
    if (!ex.write(chunk)) {
      const stream = this.stream;
      stream.pause();
      ex.onDrain(() => stream.resume());
    }
  }

  end(): void {
    this.ended = true;
    this.ex.setCancel(undefined);
    this.ex.endResponse();
  }

  close(): void {
    const ex = this.ex;
    if (!ex.isEnded && !this.ended) ex.fail(appFailure(ex, new Error(`app stream closed with code ${this.stream.rstCode}`)));
  }

  /**
   * Streams the request body to the app with backpressure: a data listener and a drain wait, not
   * Readable.pipe, which adds seven listeners per request. A failed app stream ends the exchange by itself.
   */
  sendBody(body: Readable): void {
    const stream = this.stream;
    body.on('data', (chunk: Buffer) => {
      if (stream.destroyed) return;
      if (!stream.write(chunk)) {
        body.pause();
        stream.once('drain', () => body.resume());
      }
    });
    body.on('end', () => {
      if (!stream.destroyed) stream.end();
    });
  }
}

/** The request head for the app's h2c session: pseudo-headers first, then the end-to-end fields (Host becomes :authority). */
function appRequestHeaders(ex: Exchange, path: string): OutgoingHttpHeaders {
  const head: OutgoingHttpHeaders = {
    ':method': ex.method,
    ':path': path,
    ':authority': (ex.headers[':authority'] as string | undefined) ?? ex.headers.host,
    ':scheme': 'http',
  };
  const headers = endToEndHeaders(ex.headers, ex.extraHeaders, true, head);
  if (headers.host !== undefined) delete headers.host;
  return headers;
}

function forwardHttp2(client: AppHttp2Client, ex: Exchange, path: string): void {
  const hasBody = ex.hasBody;
  let stream: AppStream;
  try {
    stream = client.current().request(appRequestHeaders(ex, path), { endStream: !hasBody }) as AppStream;
  } catch (err) {
    ex.fail(new AppUnavailableError(err));
    return;
  }
  const forward = new Http2Forward(ex, stream);
  stream.forward = forward;
  ex.setCancel(() => stream.close(constants.NGHTTP2_CANCEL));
  stream.on('response', onAppResponse);
  stream.on('data', onAppData);
  if (ex.isHttp2) stream.on('trailers', onAppTrailers);
  stream.on('end', onAppEnd);
  stream.on('error', onAppError);
  stream.on('close', onAppClose);
  if (hasBody) forward.sendBody(ex.body);
}

/** The end of the chain: to the app over the HTTP/1.1 pool or the h2c session, per TRELLIS_APP_PROTOCOL. */
export function forward(options: { pool: Http1Pool; http2: AppHttp2Client; protocol: AppProtocol }): Handler {
  const { pool, http2, protocol } = options;
  return (ex) => {
    const path = originForm(ex.target);
    if (path === undefined) ex.fail(BAD_TARGET);
    else if (protocol === 'h2c' || (protocol === 'mirror' && ex.isHttp2)) forwardHttp2(http2, ex, path);
    else forwardHttp1(pool, ex, path);
  };
}
