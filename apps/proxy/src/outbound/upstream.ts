import http2, { type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import type { Readable, Writable } from 'node:stream';
import type { Control, Http1Pool, ResponseHandler } from '../http1/pool';
import type { RequestAbort } from './request-abort';
import type { RequestBody } from './request-body';

type Fields = Record<string, string | string[] | undefined>;

/** An upstream response at its headers; the body is still to be streamed (or discarded). */
export interface UpstreamResponse {
  status: number;
  headers: Fields;
  /** grpc-status when the response carries it in its headers (a trailers-only response). */
  grpcStatus: number | undefined;
  /** The response ended with its headers (HTTP/2 END_STREAM on HEADERS). */
  endStream: boolean;
  /**
   * Streams the body into `dst` with backpressure and ends it; settles once `dst` has finished, or
   * at once when the whole body had arrived and went into `dst` in one go (the destination's own
   * 'close' then tells whether the client took it). On failure both sides are destroyed.
   */
  pipeTo(dst: Writable): Promise<void>;
  /** Trailers, once the body has ended. */
  trailers(): Fields | undefined;
  /** Drops the body of a response that will not be forwarded (a retried failure). */
  discard(): void;
  /**
   * Calls `listener` once when the response is over: its body ended (trailers() is then set), was
   * discarded, or failed. Layers hang their accounting on it (metrics, balancer load, breaker units).
   */
  onEnd(listener: () => void): void;
}

/** The end-of-response listeners of one response, called once, in registration order. */
class EndListeners {
  private fired = false;
  /** Made with the first listener: a response that ends before any is added (a small one, usually) needs no list. */
  private listeners: (() => void)[] | undefined;

  add(listener: () => void): void {
    if (this.fired) listener();
    else if (this.listeners === undefined) this.listeners = [listener];
    else this.listeners.push(listener);
  }

  fire(): void {
    if (this.fired) return;
    this.fired = true;
    const listeners = this.listeners;
    this.listeners = undefined;
    if (listeners !== undefined) for (const l of listeners) l();
  }
}

/** Ours: a discarded HTTP/1.1 body up to this size is read to keep its connection; larger ones cut it. */
export const MAX_DISCARD_BYTES = 64 * 1024;
/** Ours: response bytes held while nobody streams the body yet (between headers and respond) before reading pauses. */
export const MAX_UNSENT_BYTES = 64 * 1024;

function grpcStatusOf(headers: Fields): number | undefined {
  const value = headers['grpc-status'];
  if (typeof value !== 'string') return undefined;
  const n = Number(value);
  return Number.isInteger(n) ? n : undefined;
}

/** The fields of a response whose head has not come yet (shared, frozen). */
const NO_FIELDS: Fields = Object.freeze({});

/** What pipeTo returns once the whole body is handed to the destination. */
const HANDED_OVER: Promise<void> = Promise.resolve();

function asError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error('request aborted');
}

/**
 * Waits for `dst` to finish after `start` wrote into it; rejects (and destroys it) if it errors
 * or closes first.
 */
function finished(dst: Writable, onFail: (err: Error) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (err?: Error) => {
      if (settled) return;
      settled = true;
      if (err === undefined) {
        resolve();
        return;
      }
      onFail(err);
      dst.destroy();
      reject(err);
    };
    dst.once('error', settle);
    dst.once('finish', () => settle());
    dst.once('close', () => {
      if (!dst.writableFinished) settle(new Error('the client went away before the response ended'));
    });
  });
}

/**
 * One HTTP/1.1 exchange on an endpoint's connection pool, and the response handed to the caller
 * at its headers: response chunks go straight into the destination stream (no intermediate
 * Readable), with the connection paused while the destination is full.
 *
 * Body states: unsent (chunks held until pipeTo, reading paused past MAX_UNSENT_BYTES) ->
 * piping (written through) | discarding (dropped, connection cut past MAX_DISCARD_BYTES).
 */
class H1Upstream implements ResponseHandler, UpstreamResponse {
  status = 0;
  headers: Fields = NO_FIELDS;
  grpcStatus: number | undefined = undefined;
  readonly endStream = false;
  private controller: Control | undefined;
  private unsubscribe: (() => void) | undefined;
  /** Body chunks that arrived before pipeTo (the list is made with the first). */
  private held: Buffer[] | undefined;
  private heldBytes = 0;
  private dst: Writable | undefined;
  private discarding = false;
  private discardedBytes = 0;
  private ended = false;
  private failure: Error | undefined;
  private trailerFields: Fields | undefined;
  private readonly ends = new EndListeners();

  constructor(
    private readonly abort: RequestAbort,
    private readonly resolve: (r: UpstreamResponse) => void,
    private readonly reject: (err: unknown) => void,
    private readonly watcher: ConnectedWatcher | undefined,
  ) {}

  onConnected(): void {
    this.watcher?.connected();
  }

  onRequestStart(controller: Control): void {
    this.controller = controller;
    this.unsubscribe?.();
    if (this.abort.aborted) controller.abort(asError(this.abort.reason));
    else this.unsubscribe = this.abort.subscribe(() => controller.abort(asError(this.abort.reason)));
  }

  onResponseStart(_controller: Control, status: number, headers: Fields): void {
    this.status = status;
    this.headers = headers;
    this.grpcStatus = grpcStatusOf(headers);
    this.resolve(this);
  }

  onResponseData(controller: Control, chunk: Buffer): void {
    if (this.dst !== undefined) {
      if (!this.dst.write(chunk)) controller.pause();
      return;
    }
    if (this.discarding) {
      this.discardedBytes += chunk.length;
      if (this.discardedBytes > MAX_DISCARD_BYTES) controller.abort(new Error('discarded body too large'));
      return;
    }
    if (this.held === undefined) this.held = [chunk];
    else this.held.push(chunk);
    this.heldBytes += chunk.length;
    if (this.heldBytes > MAX_UNSENT_BYTES) controller.pause();
  }

  onResponseEnd(_controller: Control, trailers: Fields): void {
    this.ended = true;
    this.trailerFields = trailers;
    this.unsubscribe?.();
    this.dst?.end();
    this.ends.fire();
  }

  onResponseError(_controller: Control, err: Error): void {
    this.unsubscribe?.();
    this.failure = err;
    this.reject(err);
    this.dst?.destroy(err);
    this.ends.fire();
  }

  onEnd(listener: () => void): void {
    this.ends.add(listener);
  }

  trailers(): Fields | undefined {
    return this.trailerFields;
  }

  pipeTo(dst: Writable): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const held = this.held;
    this.held = undefined;
    if (this.ended) {
      // A whole small response usually arrives before anyone streams it: hand it over in one end() call.
      // Nothing upstream is left to stop if the client does not take it, so there is nothing to wait for:
      // a client that goes away is the exchange's to see (its response's 'close').
      const last = held?.pop();
      if (held !== undefined) for (const chunk of held) dst.write(chunk);
      dst.end(last);
      return HANDED_OVER;
    }
    this.dst = dst;
    const done = finished(dst, () => this.controller?.abort(new Error('the response could not be delivered')));
    dst.on('drain', () => this.controller?.resume());
    if (held !== undefined) for (const chunk of held) dst.write(chunk);
    this.controller?.resume();
    return done;
  }

  discard(): void {
    this.ends.fire();
    this.discarding = true;
    this.discardedBytes = this.heldBytes;
    this.held = undefined;
    if (this.ended) return;
    if (this.discardedBytes > MAX_DISCARD_BYTES) this.controller?.abort(new Error('discarded body too large'));
    else this.controller?.resume();
  }
}

/** Told once a request's connection is up (the balancer's load handle: its RTT starts then). */
export interface ConnectedWatcher {
  connected(): void;
}

/**
 * Sends one HTTP/1.1 request through an endpoint's pool; resolves at the response headers. `watcher` is
 * told once the request's connection is up.
 */
export function sendH1(
  pool: Http1Pool,
  method: string,
  path: string,
  headers: string[],
  body: RequestBody,
  abort: RequestAbort,
  watcher?: ConnectedWatcher,
): Promise<UpstreamResponse> {
  return new Promise((resolve, reject) => {
    pool.dispatch(
      { method, path, headers, body: body.kind === 'empty' ? null : body.kind === 'buffered' ? body.data : body.stream },
      new H1Upstream(abort, resolve, reject, watcher),
    );
  });
}

/**
 * Streams an HTTP/2 response body (a client stream) into `dst`: a data listener and a drain wait,
 * not Readable.pipe, which adds seven listeners per stream.
 */
function pumpStream(src: Readable, dst: Writable): Promise<void> {
  const done = finished(dst, () => src.destroy());
  const resume = () => src.resume();
  src.on('data', (chunk: Buffer) => {
    if (!dst.write(chunk)) {
      src.pause();
      dst.once('drain', resume);
    }
  });
  src.on('end', () => dst.end());
  src.on('error', (err) => dst.destroy(err));
  return done;
}

type UpstreamStream = ClientHttp2Stream & { upstream: H2Upstream };

// The stream's listeners are shared functions that find their exchange on the stream (no closures per request).
// Events a stream emits once ('close', 'response', 'trailers', 'end') are listened to with on(): once() wraps the listener
// and removes it again, which on a stream costs more than the listener.
function onH2Response(this: UpstreamStream, headers: IncomingHttpHeaders, flags: number): void {
  this.upstream.response(headers as Fields, flags);
}

function onH2Trailers(this: UpstreamStream, trailers: IncomingHttpHeaders): void {
  this.upstream.trailerFields = trailers as Fields;
}

// Before the response this rejects; after it, the promise is settled and whoever streams the body sees the error.
function onH2Error(this: UpstreamStream, err: Error): void {
  this.upstream.reject(err);
}

function onH2Close(this: UpstreamStream): void {
  this.upstream.closed();
}

/**
 * One HTTP/2 exchange on an endpoint's session, itself the response handed to the caller at its
 * headers. The body is the client stream, streamed by pipeTo; the end listeners fire when the
 * stream closes (ended, discarded, reset or failed).
 */
class H2Upstream implements UpstreamResponse {
  status = 0;
  headers: Fields = NO_FIELDS;
  grpcStatus: number | undefined = undefined;
  endStream = false;
  trailerFields: Fields | undefined;
  private readonly unsubscribe: () => void;
  private readonly ends = new EndListeners();

  constructor(
    private readonly stream: ClientHttp2Stream,
    abort: RequestAbort,
    private readonly resolve: (r: UpstreamResponse) => void,
    readonly reject: (err: unknown) => void,
  ) {
    this.unsubscribe = abort.subscribe(() => stream.destroy(asError(abort.reason)));
  }

  response(headers: Fields, flags: number): void {
    this.status = Number(headers[http2.constants.HTTP2_HEADER_STATUS] ?? 502);
    this.headers = headers;
    this.grpcStatus = grpcStatusOf(headers);
    this.endStream = (flags & http2.constants.NGHTTP2_FLAG_END_STREAM) !== 0;
    this.resolve(this);
  }

  closed(): void {
    this.unsubscribe();
    this.ends.fire();
  }

  pipeTo(dst: Writable): Promise<void> {
    return pumpStream(this.stream, dst);
  }

  trailers(): Fields | undefined {
    return this.trailerFields;
  }

  discard(): void {
    this.stream.destroy();
  }

  onEnd(listener: () => void): void {
    this.ends.add(listener);
  }
}

/**
 * Streams a request body into the upstream stream with backpressure: a data listener and a drain wait, not
 * Readable.pipe (seven listeners added and removed per request). A failed body resets the upstream stream; a
 * failed upstream stream ends the exchange by itself, and the rest of the body is dropped.
 */
function pumpBody(src: Readable, dst: ClientHttp2Stream): void {
  src.on('data', (chunk: Buffer) => {
    if (dst.destroyed) return;
    if (!dst.write(chunk)) {
      src.pause();
      dst.once('drain', () => src.resume());
    }
  });
  src.on('end', () => {
    if (!dst.destroyed) dst.end();
  });
  src.on('error', (err) => dst.destroy(err));
}

/** Sends one HTTP/2 request on a session; resolves at the response headers. `watcher`: told once the session is up. */
export function sendH2(
  session: ClientHttp2Session,
  headers: OutgoingHttpHeaders,
  body: RequestBody,
  abort: RequestAbort,
  watcher?: ConnectedWatcher,
): Promise<UpstreamResponse> {
  return new Promise((resolve, reject) => {
    if (abort.aborted) {
      reject(abort.reason);
      return;
    }
    const stream = session.request(headers, { endStream: body.kind === 'empty' }) as UpstreamStream;
    if (watcher !== undefined) {
      if (stream.pending) stream.once('ready', () => watcher.connected());
      else watcher.connected();
    }
    stream.upstream = new H2Upstream(stream, abort, resolve, reject);
    stream.on('response', onH2Response);
    stream.on('trailers', onH2Trailers);
    stream.on('error', onH2Error);
    stream.on('close', onH2Close);
    if (body.kind === 'buffered') stream.end(body.data);
    else if (body.kind === 'stream') {
      // Read only once the session is up, so a refused connection leaves the body unread (and sendable elsewhere).
      const sendBody = () => pumpBody(body.stream, stream);
      if (stream.pending) stream.once('ready', sendBody);
      else sendBody();
    }
  });
}
