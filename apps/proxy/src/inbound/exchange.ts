import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import { errorHeaders, errorResponse } from './error-response';
import { CLIENT_CLOSED_REQUEST_STATUS, ClientGoneError } from './errors';

export type InboundRequest = IncomingMessage | Http2ServerRequest;
export type InboundResponse = ServerResponse | Http2ServerResponse;

/** One request passing through the inbound chain. */
export type Handler = (exchange: Exchange) => void;
/** A link of the chain: wraps the rest of the chain. */
export type Middleware = (next: Handler) => Handler;

/**
 * The state of one request/response pair, shared by the handlers.
 *
 * Lifecycle: open → ended. It ends exactly once, when the response has been fully sent or the
 * connection has gone; end callbacks then run in registration order. While a stage waits on
 * something (the breaker queue, the app), it registers a cancel function that `fail` and an early
 * client close call, so no work outlives its request.
 */
export class Exchange {
  readonly startMs: number;
  /** Sent by Knative's activator: counted as a proxied request too. */
  readonly proxied: boolean;
  /** Headers added for the app by handlers (Forwarded, trace context). */
  extraHeaders: Array<readonly [string, string | undefined]> | undefined;
  /** Set once the response status line has been decided (the app answered or an error was written). */
  responseStarted = false;
  /** Body bytes relayed from the app. */
  responseBytes = 0;
  /** Response timers owned by the timeouts handler; cleared when the exchange ends. */
  startTimer: NodeJS.Timeout | undefined;
  idleTimer: NodeJS.Timeout | undefined;
  overallTimer: NodeJS.Timeout | undefined;
  private cancelStage: ((err: Error) => void) | undefined;
  private endCallbacks: Array<() => void> = [];
  private ended = false;

  constructor(
    readonly req: InboundRequest,
    readonly res: InboundResponse,
    nowMs: number,
  ) {
    this.startMs = nowMs;
    this.proxied = req.headers['k-proxy-request'] === 'activator';
    res.once('close', () => this.end());
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** The status to record: the response's, or CLIENT_CLOSED_REQUEST_STATUS if it never completed. */
  get finalStatus(): number {
    return this.res.writableFinished ? this.res.statusCode : CLIENT_CLOSED_REQUEST_STATUS;
  }

  get isHttp2(): boolean {
    return this.req.httpVersionMajor === 2;
  }

  /** Sets (or with undefined, removes) a header of the request to the app. */
  addHeader(name: string, value: string | undefined): void {
    (this.extraHeaders ??= []).push([name, value]);
  }

  onEnd(callback: () => void): void {
    if (this.ended) callback();
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
    this.cancel(err);
    const res = this.res;
    if (this.responseStarted || res.headersSent) {
      res.destroy(err);
      return;
    }
    this.responseStarted = true;
    const { status, reason } = errorResponse(err);
    res.writeHead(status, errorHeaders(reason));
    res.end(`${reason}\n`);
  }

  private cancel(err: Error): void {
    const cancel = this.cancelStage;
    this.cancelStage = undefined;
    cancel?.(err);
  }

  private end(): void {
    if (this.ended) return;
    if (!this.res.writableFinished) this.cancel(new ClientGoneError());
    this.ended = true;
    clearTimeout(this.startTimer);
    clearTimeout(this.idleTimer);
    clearTimeout(this.overallTimer);
    for (const callback of this.endCallbacks) callback();
    this.endCallbacks.length = 0;
  }
}

/** Folds middlewares around the final handler; the first middleware is the outermost. */
export function compose(middlewares: readonly Middleware[], last: Handler): Handler {
  return middlewares.reduceRight<Handler>((next, middleware) => middleware(next), last);
}
