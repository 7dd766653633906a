import { connect, constants, type ClientHttp2Session, type ClientHttp2Stream, type Http2ServerResponse } from 'node:http2';
import type { ServerResponse } from 'node:http';
import type { Dispatcher, Pool } from 'undici';
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
class Http1Forward implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  private cancelled: Error | undefined;

  constructor(private readonly ex: Exchange) {
    ex.setCancel((err) => {
      this.cancelled = err;
      this.controller?.abort(err);
    });
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.cancelled) controller.abort(this.cancelled);
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    if (statusCode < 200) return;
    const ex = this.ex;
    ex.markResponseStarted();
    try {
      ex.res.writeHead(statusCode, stripHopByHop(headers));
    } catch (err) {
      controller.abort(err as Error);
      ex.res.destroy();
      return;
    }
    ex.res.on('drain', () => controller.resume());
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.ex.markActivity(chunk.length);
    if (!(this.ex.res as ServerResponse).write(chunk)) controller.pause();
  }

  onResponseEnd(): void {
    this.ex.setCancel(undefined);
    this.ex.res.end();
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    if (this.cancelled) return;
    this.ex.fail(appFailure(this.ex, err));
  }
}

function hasBody(ex: Exchange): boolean {
  const headers = ex.req.headers;
  return headers['content-length'] !== undefined ? headers['content-length'] !== '0' : headers['transfer-encoding'] !== undefined;
}

const BAD_TARGET = new InboundError('INBOUND_BAD_REQUEST', 'bad request');

/** The request target in origin form (`/path?query`); absolute-form targets are reduced to it. */
function originForm(target: string): string | undefined {
  if (target.charCodeAt(0) === 47 /* '/' */) return target;
  if (!/^https?:\/\//i.test(target) || !URL.canParse(target)) return undefined;
  const url = new URL(target);
  return `${url.pathname}${url.search}`;
}

function forwardHttp1(pool: Pool, ex: Exchange): void {
  const req = ex.req;
  const path = originForm(req.url ?? '');
  if (path === undefined) {
    ex.fail(BAD_TARGET);
    return;
  }
  const headers = endToEndHeaders(req.headers, ex.extraHeaders);
  if (ex.isHttp2) headers.host ??= req.headers[':authority'] as string | undefined;
  pool.dispatch(
    {
      method: req.method ?? 'GET',
      path,
      headers: headers as Record<string, string | string[]>,
      body: hasBody(ex) ? req : null,
      headersTimeout: 0,
      bodyTimeout: 0,
    },
    new Http1Forward(ex),
  );
}

function forwardHttp2(client: AppHttp2Client, ex: Exchange): void {
  const req = ex.req;
  const res = ex.res as Http2ServerResponse;
  const headers = endToEndHeaders(req.headers, ex.extraHeaders, true);
  headers[':method'] = req.method;
  headers[':path'] = req.url;
  headers[':authority'] = req.headers[':authority'] ?? req.headers.host;
  headers[':scheme'] = 'http';
  delete headers.host;
  let stream: ClientHttp2Stream;
  try {
    stream = client.current().request(headers);
  } catch (err) {
    ex.fail(new AppUnavailableError(err));
    return;
  }
  ex.setCancel(() => stream.close(constants.NGHTTP2_CANCEL));
  stream.on('response', (responseHeaders) => {
    const status = Number(responseHeaders[':status']);
    if (status < 200) return;
    ex.markResponseStarted();
    try {
      res.writeHead(status, endToEndHeaders(responseHeaders, undefined));
    } catch {
      stream.close(constants.NGHTTP2_CANCEL);
      res.destroy();
    }
  });
  stream.on('data', (chunk: Buffer) => {
    ex.markActivity(chunk.length);
    if (!res.write(chunk)) {
      stream.pause();
      res.once('drain', () => stream.resume());
    }
  });
  // HTTP/1.1 clients get no trailers: Node only sends them on chunked responses that announce them.
  if (ex.isHttp2) stream.on('trailers', (trailers) => res.addTrailers(endToEndHeaders(trailers, undefined)));
  stream.on('end', () => {
    ex.setCancel(undefined);
    res.end();
  });
  stream.on('error', (err) => ex.fail(appFailure(ex, err)));
  stream.on('close', () => {
    if (!ex.isEnded && !res.writableEnded) ex.fail(appFailure(ex, new Error(`app stream closed with code ${stream.rstCode}`)));
  });
  req.pipe(stream);
}

/** The end of the chain: to the app over the HTTP/1.1 pool or the h2c session, per TRELLIS_APP_PROTOCOL. */
export function forward(options: { pool: Pool; http2: AppHttp2Client; protocol: AppProtocol }): Handler {
  const { pool, http2, protocol } = options;
  if (protocol === 'http1') return (ex) => forwardHttp1(pool, ex);
  if (protocol === 'h2c') return (ex) => forwardHttp2(http2, ex);
  return (ex) => {
    if (ex.isHttp2) forwardHttp2(http2, ex);
    else forwardHttp1(pool, ex);
  };
}
