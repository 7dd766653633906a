import type { IncomingHttpHeaders } from 'node:http';
import type { RetryBudget } from '@trellis/balance';
import { classify, MAX_REPLAYABLE_BODY_BYTES, pickWeighted, retryableResponse, type Rule } from '@trellis/routes';
import type { Dispatcher } from 'undici';
import { MAX_UNSENT_RETRIES } from './defaults';
import type { EndpointSet, PickedEndpoint } from './endpoint-set';
import { ClientError } from './errors';
import type { RouteSeries } from './metrics';

/** undici error codes of a request that was not written: the connection failed, or the pool closed under it. */
const UNSENT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET_BEFORE_WRITE', 'UND_ERR_CLOSED', 'UND_ERR_DESTROYED', 'UND_ERR_CONNECT_TIMEOUT']);

export interface RoutedRequestDeps {
  logical: string;
  /** The rule the request took (@trellis/routes): backends, timeouts, retry, response classes. */
  rule: Rule;
  budget: RetryBudget;
  series: RouteSeries;
  random: () => number;
  failFastMs: number;
  backend(authority: string): EndpointSet;
  /** Sends through DNS, for a backend the destination does not know. */
  direct: Dispatcher['dispatch'];
}

function bodyBytes(body: Dispatcher.DispatchOptions['body']): number | null {
  if (body === undefined || body === null) return 0;
  if (typeof body === 'string') return Buffer.byteLength(body);
  if (body instanceof Uint8Array) return body.byteLength;
  return null;
}

function grpcStatusOf(headers: IncomingHttpHeaders): number | undefined {
  const value = headers['grpc-status'];
  return typeof value === 'string' ? Number(value) : undefined;
}

function isConnectFailure(err: Error): boolean {
  const code = (err as { code?: unknown }).code;
  return code === 'ECONNREFUSED' || code === 'UND_ERR_CONNECT_TIMEOUT';
}

function unsent(err: Error): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && UNSENT_CODES.has(code);
}

type State = 'attempting' | 'streaming' | 'done';

/**
 * One request on a mesh authority, from the caller's handler to the last attempt:
 *
 *   attempting --headers, not retried--> streaming --end/error--> done
 *   attempting --retryable response, retries and budget allow--> (drain the response) attempting
 *   attempting --unsent (refused, pool closed)--> attempting, at most MAX_UNSENT_RETRIES times
 *   attempting --request timeout, or the caller aborts--> done (the attempt is aborted)
 *
 * Each attempt picks its backend by the rule's weights, then its endpoint by P2C peak-EWMA. The caller sees
 * one request: one onRequestStart, one response (or one error), through a controller that follows
 * the current attempt.
 */
export class RoutedRequest {
  private state: State = 'attempting';
  private attempt: Dispatcher.DispatchController | undefined;
  private abortReason: Error | undefined;
  private timer: NodeJS.Timeout | undefined;
  private unsentRetries = 0;
  private retries = 0;
  private readonly started = performance.now();
  private readonly bodyBytes: number | null;

  constructor(
    private readonly opts: Dispatcher.DispatchOptions,
    private readonly handler: Dispatcher.DispatchHandler,
    private readonly deps: RoutedRequestDeps,
  ) {
    this.bodyBytes = bodyBytes(opts.body);
  }

  /** The caller's view of the request: abort, pause and resume act on the current attempt. */
  private readonly controller: Dispatcher.DispatchController = {
    get aborted() {
      return false;
    },
    get paused() {
      return false;
    },
    get reason() {
      return null;
    },
    abort: (reason: Error) => {
      if (this.state === 'done' || this.abortReason !== undefined) return;
      this.abortReason = reason;
      if (this.attempt === undefined) this.fail(reason);
      else this.attempt.abort(reason);
    },
    pause: () => this.attempt?.pause(),
    resume: () => this.attempt?.resume(),
  };

  start(): void {
    this.deps.series.request();
    this.deps.budget.deposit();
    this.handler.onRequestStart?.(this.controller, {});
    if (this.abortReason !== undefined) return;
    const timeoutMs = this.deps.rule.timeouts.requestMs;
    if (timeoutMs !== undefined) {
      this.timer = setTimeout(() => this.timeOut(timeoutMs), timeoutMs);
      this.timer.unref();
    }
    void this.next();
  }

  private timeOut(timeoutMs: number): void {
    if (this.state !== 'attempting') return;
    const err = new ClientError('ROUTE_TIMEOUT', `route ${this.deps.rule.name} of ${this.deps.logical} timed out after ${timeoutMs} ms`);
    this.abortReason = err;
    if (this.attempt === undefined) this.fail(err);
    else this.attempt.abort(err);
  }

  private async next(): Promise<void> {
    this.attempt = undefined;
    let backend: EndpointSet;
    try {
      backend = this.deps.backend(this.pickBackend());
      await backend.ready(this.deps.failFastMs);
    } catch (err) {
      this.fail(err as Error);
      return;
    }
    if (this.state !== 'attempting' || this.abortReason !== undefined) return;
    if (backend.notFound()) {
      this.deps.direct(this.opts, this.attemptHandler(null));
      return;
    }
    const picked = backend.pick();
    if (picked === null) {
      this.fail(new ClientError('FAIL_FAST', `${backend.authority} has no endpoint to pick`));
      return;
    }
    picked.entry.series.request();
    picked.entry.pool.dispatch(this.opts, this.attemptHandler(picked));
  }

  /** The handler of one attempt; `picked` is null for a request sent through DNS. */
  private attemptHandler(picked: PickedEndpoint | null): Dispatcher.DispatchHandler {
    const series = this.deps.series;
    const sentAt = performance.now();
    let status = 0;
    let discarding = false;
    series.actualRequest();
    return {
      onRequestStart: (controller) => {
        this.attempt = controller;
        picked?.handle.connected();
        if (this.abortReason !== undefined) controller.abort(this.abortReason);
      },
      onRequestUpgrade: (_controller, statusCode, headers, socket) => {
        picked?.handle.end();
        this.finish();
        this.handler.onRequestUpgrade?.(this.controller, statusCode, headers, socket);
      },
      onResponseStart: (_controller, statusCode, headers, statusMessage) => {
        status = statusCode;
        picked?.handle.firstByte();
        picked?.outcome(statusCode);
        discarding = this.shouldRetry(statusCode, grpcStatusOf(headers));
        if (discarding) return;
        this.state = 'streaming';
        clearTimeout(this.timer);
        this.handler.onResponseStart?.(this.controller, statusCode, headers, statusMessage);
      },
      onResponseData: (_controller, chunk) => {
        if (!discarding) this.handler.onResponseData?.(this.controller, chunk);
      },
      onResponseEnd: (_controller, trailers: IncomingHttpHeaders) => {
        picked?.handle.end();
        const latencyMs = performance.now() - sentAt;
        const grpc = grpcStatusOf(trailers);
        const classification = classify(this.deps.rule.classes, status, grpc);
        picked?.entry.series.response(status, grpc, classification, latencyMs);
        series.actualResponse(status, classification, latencyMs);
        if (discarding) {
          void this.next();
          return;
        }
        this.finish();
        series.response(status, classification, performance.now() - this.started);
        this.handler.onResponseEnd?.(this.controller, trailers);
      },
      onResponseError: (_controller, err) => {
        picked?.handle.end();
        if (isConnectFailure(err)) picked?.outcome('connect-failed');
        if (this.state === 'done') return;
        const retry =
          this.state === 'attempting' && this.abortReason === undefined && unsent(err) && this.replayable(MAX_REPLAYABLE_BODY_BYTES) && this.unsentRetries < MAX_UNSENT_RETRIES;
        if (retry) {
          this.unsentRetries += 1;
          void this.next();
          return;
        }
        this.fail(this.abortReason ?? err);
      },
    };
  }

  /**
   * The backend of one attempt: one of the rule's backends by weight, or the logical service when
   * it names none. A backend without an authority (an OutboundPolicy failure filter) never comes
   * from a ServiceProfile, the only route source of the agent; it falls back to the logical service.
   */
  private pickBackend(): string {
    const backends = this.deps.rule.backends;
    if (backends.length === 0) return this.deps.logical;
    const weights = backends.map((b) => b.weight);
    const total = weights.reduce((sum, w) => sum + w, 0);
    return backends[pickWeighted(weights, total, this.deps.random())]?.authority ?? this.deps.logical;
  }

  /**
   * A response the rule's retry conditions call retryable is retried up to the rule's count, while
   * the body is held in memory within the retry's size limit and, for a budgeted (ServiceProfile)
   * retry, the retry budget allows.
   */
  private shouldRetry(status: number, grpcStatus: number | undefined): boolean {
    const { rule, budget, series } = this.deps;
    const retry = rule.retry;
    if (retry === undefined || this.abortReason !== undefined || this.retries >= retry.maxRetries) return false;
    if (!retryableResponse(retry, rule.classes, status, grpcStatus)) return false;
    if (!this.replayable(retry.maxRequestBytes)) {
      series.retryable('body_too_large');
      return false;
    }
    if (retry.budgeted && !budget.withdraw()) {
      series.retryable('no_budget');
      return false;
    }
    series.retryable('');
    this.retries += 1;
    return true;
  }

  /** Only a body held in memory (string, bytes) can be sent again. */
  private replayable(maxBytes: number): boolean {
    return this.bodyBytes !== null && this.bodyBytes <= maxBytes;
  }

  private finish(): void {
    this.state = 'done';
    clearTimeout(this.timer);
  }

  private fail(err: Error): void {
    if (this.state === 'done') return;
    this.finish();
    this.handler.onResponseError?.(this.controller, err);
  }
}
