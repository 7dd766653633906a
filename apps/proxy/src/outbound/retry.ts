import { finalClassification, classify } from './classify';
import { OutboundError } from './errors';
import type { Layer, OutboundCall, Service } from './layer';
import type { RequestBody } from './request-body';
import { bufferBody, isReplayable } from './request-body';
import type { UpstreamResponse } from './upstream';

/**
 * Ours: a request that never left the proxy is sent again at most this many times, each time to a
 * fresh pick (the endpoint that refused it is out of the balancer by then).
 */
export const MAX_UNSENT_RETRIES = 3;

const EMPTY_BODY: RequestBody = { kind: 'empty' };

/** Retryable routes buffer bodies up to MAX_REPLAYABLE_BODY_BYTES; others stream them. */
function readBody(call: OutboundCall): RequestBody | Promise<RequestBody> {
  const ex = call.ex;
  if (!ex.hasBody) return EMPTY_BODY;
  if (!call.route.retryable) return { kind: 'stream', stream: ex.bodySource };
  return bufferBody(ex.bodySource);
}

/** A body can go out again if it is held in memory, or streamed but not read yet. */
function resendable(body: RequestBody): boolean {
  return body.kind !== 'stream' || !body.stream.readableDidRead;
}

function unsent(err: unknown): boolean {
  return err instanceof OutboundError && err.notSent;
}

/** One attempt, counted per route (`route_actual_*`). */
async function attempt(next: Service, call: OutboundCall): Promise<UpstreamResponse> {
  const rs = call.routeSeries;
  const started = performance.now();
  rs.actualRequest();
  const r = await next(call);
  r.onEnd(() => rs.actualResponse(r.status, finalClassification(call.route, r), performance.now() - started));
  return r;
}

/**
 * retry (budget): two kinds of retry, in one loop.
 * - A request that never left the proxy (no connection, refused before a byte was written) is sent
 *   again whatever the route says, as linkerd2-proxy does, up to MAX_UNSENT_RETRIES times.
 * - On a retryable route, a response classified as a failure at its headers is retried while the
 *   profile's retry budget allows and the backend's circuit breaker has a `retries` unit free
 *   (Envoy's max_retries: concurrent retries per backend). Bodies up to 64 KiB are replayable.
 * A failed response that is not retried goes back up as it is.
 */
export function retryLayer(): Layer {
  return (next) => async (call) => {
    call.body = await readBody(call);
    const { route, profile, routeSeries: rs } = call;
    let unsentRetries = 0;
    let releaseRetry: (() => void) | undefined;
    for (;;) {
      let r: UpstreamResponse;
      try {
        r = await attempt(next, call);
      } catch (err) {
        releaseRetry?.();
        releaseRetry = undefined;
        if (unsent(err) && unsentRetries < MAX_UNSENT_RETRIES && resendable(call.body) && !call.abort.aborted) {
          unsentRetries += 1;
          continue;
        }
        throw err;
      }
      if (releaseRetry !== undefined) r.onEnd(releaseRetry);
      releaseRetry = undefined;
      if (!route.retryable || classify(route.classes, r.status, r.grpcStatus) !== 'failure') return r;
      if (!isReplayable(call.body)) {
        rs.retryable('body_too_large');
        return r;
      }
      if (!profile.budget.withdraw()) {
        rs.retryable('no_budget');
        return r;
      }
      const breakers = call.backend.breakers;
      if (!breakers.tryAcquire('retries')) {
        rs.retryable('overflow');
        return r;
      }
      releaseRetry = () => breakers.release('retries');
      rs.retryable('');
      r.discard();
    }
  };
}
