import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { errorCodeOf, errorHeadersOf, errorResponse, isGrpcContentType, type ProxyErrorCode } from '../proxy-error';
import { CLIENT_CLOSED_REQUEST_STATUS, ClientGoneError } from './errors';
import type { ConnectionTls } from './mesh-tls';

/** One request passing through the inbound chain. */
export type Handler = (exchange: Exchange) => void;
/** A link of the chain: wraps the rest of the chain. */
export type Middleware = (next: Handler) => Handler;

/**
 * The state of one request/response pair, shared by the handlers. Two kinds exist: HTTP/1.1
 * (`http1-exchange.ts`, over node:http's request and response) and HTTP/2 (`http2-exchange.ts`,
 * straight on the server stream, without Node's slow compatibility layer); the handlers only see
 * this class.
 *
 * Lifecycle: open → ended. It ends exactly once, when the response has been fully sent or the
 * connection or stream has gone (the subclass calls `end`); end callbacks then run in registration
 * order. While a stage waits on something (the breaker queue, the app), it registers a cancel
 * function that `fail` and an early client close call, so no work outlives its request.
 */
export abstract class Exchange {
  readonly startMs: number;
  /** Sent by Knative's activator: counted as a proxied request too. */
  readonly proxied: boolean;
  /** Headers added for the app by handlers (Forwarded, trace context). */
  extraHeaders: Array<readonly [string, string | undefined]> | undefined;
  /** Set once the response status line has been decided (the app answered or an error was written). */
  responseStarted = false;
  /** Body bytes relayed from the app. */
  responseBytes = 0;
  /** When the breaker let the request through to the app (ms, the chain's clock). */
  admittedMs = 0;
  /** Response timers owned by the timeouts handler; cleared when the exchange ends. */
  startTimer: NodeJS.Timeout | undefined;
  idleTimer: NodeJS.Timeout | undefined;
  overallTimer: NodeJS.Timeout | undefined;
  private cancelStage: ((err: Error) => void) | undefined;
  private endCallbacks: Array<(ex: Exchange) => void> = [];
  private ended = false;

  /** Request head: method, target as received (`:path` on HTTP/2), headers (pseudo-headers included on HTTP/2). */
  abstract readonly method: string;
  abstract readonly target: string;
  abstract readonly headers: IncomingHttpHeaders;
  abstract readonly isHttp2: boolean;
  /** `1.1` or `2.0`. */
  abstract readonly httpVersion: string;
  /** The request body; read it only when `hasBody`. */
  abstract readonly body: Readable;
  abstract readonly hasBody: boolean;
  abstract readonly remoteAddress: string | undefined;
  abstract readonly remotePort: number | undefined;
  /** Whether the client came over mesh TLS, and the identity its certificate proved. */
  abstract readonly connectionTls: ConnectionTls;
  /** Whether the whole response went out (headers, body and trailers). */
  protected abstract readonly responseFinished: boolean;
  /** Whether the status line has gone to the client. */
  protected abstract readonly headersSent: boolean;
  /** The status written, 0 before `writeHead`. */
  statusCode = 0;
  /** The code of the error the exchange failed with, if any (the access log's response flags). */
  failure: ProxyErrorCode | undefined;

  constructor(headers: IncomingHttpHeaders, nowMs: number) {
    this.startMs = nowMs;
    this.proxied = headers['k-proxy-request'] === 'activator';
  }

  /**
   * Starts the response. `withTrailers` keeps an HTTP/2 stream open after the body for `addTrailers`
   * (HTTP/1.1 responses carry none).
   */
  abstract writeHead(status: number, headers: OutgoingHttpHeaders, withTrailers?: boolean): void;
  /** Writes body bytes; false means wait for `onDrain`. */
  abstract write(chunk: Buffer): boolean;
  abstract onDrain(callback: () => void): void;
  /** Trailers for the end of an HTTP/2 response started `withTrailers`. */
  abstract addTrailers(trailers: OutgoingHttpHeaders): void;
  /** Ends the response, with a last piece of body. */
  abstract endResponse(body?: string | Buffer): void;
  /** Cuts the response: the connection (HTTP/1.1) or the stream (HTTP/2) is reset. */
  abstract destroyResponse(err?: Error): void;

  get isEnded(): boolean {
    return this.ended;
  }

  /** The status to record: the response's, or CLIENT_CLOSED_REQUEST_STATUS if it never completed. */
  get finalStatus(): number {
    return this.responseFinished ? this.statusCode : CLIENT_CLOSED_REQUEST_STATUS;
  }

  /** Answers with a whole response the proxy makes itself (probes, errors). */
  reply(status: number, headers: OutgoingHttpHeaders, body: string): void {
    this.responseStarted = true;
    this.writeHead(status, headers);
    this.endResponse(body);
  }

  /** A gRPC response with no body: headers only (on HTTP/2 one HEADERS frame with END_STREAM, what gRPC calls trailers-only). */
  replyTrailersOnly(headers: OutgoingHttpHeaders): void {
    this.reply(200, headers, '');
  }

  /** Sets (or with undefined, removes) a header of the request to the app. */
  addHeader(name: string, value: string | undefined): void {
    (this.extraHeaders ??= []).push([name, value]);
  }

  /** Runs `callback` with this exchange when it ends; handlers pass one shared callback, not a closure per request. */
  onEnd(callback: (ex: Exchange) => void): void {
    if (this.ended) callback(this);
    else this.endCallbacks.push(callback);
  }

  /** Registers (or clears, with undefined) how to abandon the stage the request is waiting in. */
  setCancel(cancel: ((err: Error) => void) | undefined): void {
    this.cancelStage = cancel;
  }

  /** Marks the response as started (clears the response-start timer) and counts as activity. */
  markResponseStarted(): void {
    this.responseStarted = true;
    if (this.startTimer !== undefined) {
      clearTimeout(this.startTimer);
      this.startTimer = undefined;
    }
    this.idleTimer?.refresh();
  }

  /** Response bytes flowed: postpones the idle timeout. */
  markActivity(bytes: number): void {
    this.responseBytes += bytes;
    this.idleTimer?.refresh();
  }

  /** Abandons the request: cancels the waiting stage and answers with the error, or cuts the response. */
  fail(err: Error): void {
    if (this.ended) return;
    this.failure = errorCodeOf(err);
    this.cancel(err);
    if (this.responseStarted || this.headersSent) {
      this.destroyResponse(err);
      return;
    }
    if (isGrpcContentType(this.headers['content-type'])) {
      this.replyTrailersOnly(errorHeadersOf(err, true));
      return;
    }
    const e = errorResponse(err);
    this.reply(e.status, errorHeadersOf(err, false), `${e.reason}\n`);
  }

  private cancel(err: Error): void {
    const cancel = this.cancelStage;
    this.cancelStage = undefined;
    cancel?.(err);
  }

  /** Called by the subclass once, when the response or the connection closes. */
  protected end(): void {
    if (this.ended) return;
    if (!this.responseFinished) this.cancel(new ClientGoneError());
    this.ended = true;
    clearTimeout(this.startTimer);
    clearTimeout(this.idleTimer);
    clearTimeout(this.overallTimer);
    for (const callback of this.endCallbacks) callback(this);
    this.endCallbacks.length = 0;
  }
}

/** Folds middlewares around the final handler; the first middleware is the outermost. */
export function compose(middlewares: readonly Middleware[], last: Handler): Handler {
  return middlewares.reduceRight<Handler>((next, middleware) => middleware(next), last);
}
