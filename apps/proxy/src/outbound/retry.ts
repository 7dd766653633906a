import type { Random } from '@trellis/balance';
import { retryableResponse, type Retry } from '@trellis/routes';
import { finalClassification } from './classify';
import { OutboundError } from './errors';
import { callNext, type Layer, type OutboundCall, type Service } from './layer';
import { RequestAbort } from './request-abort';
import type { RequestBody } from './request-body';
import { bufferBody, isReplayable } from './request-body';
import type { UpstreamResponse } from './upstream';

/**
 * Ours: a request that never left the proxy is sent again at most this many times, each time to a
 * fresh pick (the endpoint that refused it is out of the balancer by then).
 */
export const MAX_UNSENT_RETRIES = 3;

const EMPTY_BODY: RequestBody = { kind: 'empty' };

/** Rules with a retry buffer bodies up to the retry's max_request_bytes; others stream them. */
function readBody(call: OutboundCall): RequestBody | Promise<RequestBody> {
  const ex = call.ex;
  if (!ex.hasBody) return EMPTY_BODY;
  const retry = call.rule.retry;
  if (retry === undefined) return { kind: 'stream', stream: ex.bodySource };
  return bufferBody(ex.bodySource, retry.maxRequestBytes);
}

/** A body can go out again if it is held in memory, or streamed but not read yet. */
function resendable(body: RequestBody): boolean {
  return body.kind !== 'stream' || !body.stream.readableDidRead;
}

function unsent(err: unknown): boolean {
  return err instanceof OutboundError && err.notSent;
}

/**
 * One attempt, counted per route (`route_actual_*`). With a per-attempt timeout (`backendRequest`,
 * or the retry's timeout) the attempt runs under a child of the request's abort signal, which the
 * timer aborts with ROUTE_TIMEOUT; the child ends with the attempt's response headers.
 */
function attempt(
  next: Service,
  call: OutboundCall,
  requestAbort: RequestAbort,
  onFailure?: (err: unknown) => UpstreamResponse | Promise<UpstreamResponse>,
): Promise<UpstreamResponse> {
  const rs = call.routeSeries;
  const rule = call.rule;
  const started = performance.now();
  const timeoutMs = rule.timeouts.backendRequestMs;
  rs.actualRequest();
  const counted = (r: UpstreamResponse) => {
    r.onEnd(() => rs.actualResponse(r.status, finalClassification(rule, r), performance.now() - started));
    return r;
  };
  // The caller's failure handler rides on the same then(): one promise fewer per request.
  if (timeoutMs === undefined) return callNext(next, call).then(counted, onFailure);
  const child = new RequestAbort();
  const unlink = requestAbort.subscribe(() => child.abort(requestAbort.reason));
  const timer = setTimeout(() => child.abort(new OutboundError('ROUTE_TIMEOUT', `an attempt of route ${rule.name} timed out after ${timeoutMs} ms`)), timeoutMs);
  call.abort = child;
  return callNext(next, call)
    .finally(() => {
      clearTimeout(timer);
      unlink();
      call.abort = requestAbort;
    })
    .then(counted, onFailure);
}

/** Linkerd's retry backoff: min x 2^(n-1), at most max, plus up to jitter x that at random. */
function backoffMs(retry: Retry, retries: number, random: Random): number {
  const b = retry.backoff;
  if (b === undefined) return 0;
  const base = Math.min(b.maxMs, b.minMs * 2 ** (retries - 1));
  return Math.min(b.maxMs, base + base * b.jitter * random());
}

function sleep(ms: number, abort: RequestAbort): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const unsubscribe = abort.subscribe(() => {
      clearTimeout(timer);
      reject(abort.reason);
    });
    const timer = setTimeout(() => {
      unsubscribe();
      resolve();
    }, ms);
  });
}

/**
 * retry: two kinds of retry, in one loop.
 * - A request that never left the proxy (no connection, refused before a byte was written) is sent
 *   again whatever the rule says, as linkerd2-proxy does, up to MAX_UNSENT_RETRIES times.
 * - On a rule with a retry, a response its conditions call retryable (at its headers), or an attempt
 *   that timed out, is retried up to `maxRetries` times, with the rule's backoff between attempts,
 *   while the body is replayable (at most `maxRequestBytes`), the backend's circuit breaker has a
 *   `retries` unit free (Envoy's max_retries), and, for ServiceProfile routes, the retry budget allows.
 * A failed response that is not retried goes back up as it is.
 */
export function retryLayer(deps: { random: Random }): Layer {
  return (next) => (call) => {
    const body = readBody(call);
    if (body instanceof Promise) {
      return body.then((read) => {
        call.body = read;
        return send(next, call, deps.random);
      });
    }
    call.body = body;
    return send(next, call, deps.random);
  };
}

/**
 * The first attempt. Most requests end here: a rule without a retry needs the loop only once an
 * attempt fails unsent, and then enters it with that one retry counted.
 */
function send(next: Service, call: OutboundCall, random: Random): Promise<UpstreamResponse> {
  if (call.rule.retry !== undefined) return attempts(next, call, random, 0);
  const requestAbort = call.abort;
  return attempt(next, call, requestAbort, (err: unknown) => {
    if (!unsent(err) || !resendable(call.body) || requestAbort.aborted) throw err;
    return attempts(next, call, random, 1);
  });
}

/** The retry loop, from `unsentRetries` retries of unsent requests already made. */
async function attempts(next: Service, call: OutboundCall, random: Random, unsentRetries: number): Promise<UpstreamResponse> {
  const { rule, budget, routeSeries: rs } = call;
  const retry = rule.retry;
  const requestAbort = call.abort;
  let retries = 0;
  let releaseRetry: (() => void) | undefined;
  /** Takes the units a retry needs, counting why one is not made; true: retry. */
  const mayRetry = (): boolean => {
    if (retry === undefined || retries >= retry.maxRetries || requestAbort.aborted) return false;
    if (!isReplayable(call.body)) {
      rs.retryable('body_too_large');
      return false;
    }
    if (retry.budgeted && !budget.withdraw()) {
      rs.retryable('no_budget');
      return false;
    }
    const breakers = call.backend.breakers;
    if (!breakers.tryAcquire('retries')) {
      rs.retryable('overflow');
      return false;
    }
    releaseRetry = () => breakers.release('retries');
    rs.retryable('');
    retries += 1;
    return true;
  };
  /** The rule's backoff before the next attempt; an abort while waiting gives the retry unit back. */
  const backOff = async (): Promise<void> => {
    try {
      await sleep(backoffMs(retry as Retry, retries, random), requestAbort);
    } catch (err) {
      releaseRetry?.();
      releaseRetry = undefined;
      throw err;
    }
  };
  for (;;) {
    let r: UpstreamResponse;
    try {
      r = await attempt(next, call, requestAbort);
    } catch (err) {
      releaseRetry?.();
      releaseRetry = undefined;
      if (unsent(err) && unsentRetries < MAX_UNSENT_RETRIES && resendable(call.body) && !requestAbort.aborted) {
        unsentRetries += 1;
        continue;
      }
      const attemptTimedOut = err instanceof OutboundError && err.code === 'ROUTE_TIMEOUT' && !requestAbort.aborted;
      if (!attemptTimedOut || !mayRetry()) throw err;
      await backOff();
      continue;
    }
    if (releaseRetry !== undefined) r.onEnd(releaseRetry);
    releaseRetry = undefined;
    if (retry === undefined || !retryableResponse(retry, rule.classes, r.status, r.grpcStatus) || !mayRetry()) return r;
    r.discard();
    await backOff();
  }
}
