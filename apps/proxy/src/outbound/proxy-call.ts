import type { RequestHandle } from '@trellis/balance';
import type { Logger } from 'pino';
import { TargetCache, type AuthorityOptions, type Target } from './authority';
import type { Acquired, Backend } from './backend';
import { classify, type Classification } from './classify';
import type { EndpointConnections } from './endpoint-connections';
import { errorResponse } from './error-response';
import { OutboundError, upstreamError } from './errors';
import type { Exchange } from './exchange';
import type { EndpointSeries, RouteSeries } from './metrics';
import { DEFAULT_ROUTE, selectRoute, type Profile, type Route } from './profile';
import type { RequestAbort } from './request-abort';
import { bufferBody, isReplayable, type RequestBody } from './request-body';
import type { LogicalService, ServiceCache } from './service-cache';
import { sendH1, sendH2, type UpstreamResponse } from './upstream';

/** Ours: a request whose connection was refused is sent again once, to another pick, if its body allows. */
export const MAX_CONNECT_RETRIES = 1;

export interface ProxyCallDeps {
  services: ServiceCache;
  authority: AuthorityOptions;
  /** `host:port` of the outbound listener itself, to refuse requests that would loop. */
  selfAuthorities: ReadonlySet<string>;
  logger: Logger;
}

interface Attempt {
  response: UpstreamResponse;
  series: EndpointSeries;
  handle: RequestHandle | undefined;
  startMs: number;
}

function pathOf(path: string): string {
  const q = path.indexOf('?');
  return q < 0 ? path : path.slice(0, q);
}

const EMPTY_BODY: RequestBody = { kind: 'empty' };

function readBody(ex: Exchange, replay: boolean): RequestBody | Promise<RequestBody> {
  if (!ex.hasBody) return EMPTY_BODY;
  if (!replay) return { kind: 'stream', stream: ex.bodySource };
  return bufferBody(ex.bodySource);
}

/** Waits for a pending acquire, giving up (and cancelling it) when the request is aborted. */
function awaitAcquire(backend: Backend, abort: RequestAbort): Acquired | Promise<Acquired> {
  const a = backend.acquire();
  if (a.kind !== 'pending') return a;
  if (abort.aborted) {
    a.cancel();
    throw abort.reason;
  }
  return new Promise<Acquired>((resolve, reject) => {
    const unsubscribe = abort.subscribe(() => {
      a.cancel();
      reject(abort.reason);
    });
    a.promise.then(
      (v) => {
        unsubscribe();
        resolve(v);
      },
      (err: unknown) => {
        unsubscribe();
        reject(err);
      },
    );
  });
}

function send(ex: Exchange, connections: EndpointConnections, authority: string, body: RequestBody, abort: RequestAbort) {
  if (ex.protocol === 'h2') return sendH2(connections.h2(), ex.h2Headers(), body, abort);
  return sendH1(connections.h1(), ex.method, ex.path, ex.h1Headers(authority), body, abort);
}

/**
 * The outbound request path, top to bottom:
 * target (400 if none) -> logical service -> profile -> route -> body (buffered if retryable)
 * -> [route timeout] -> loop { split -> backend gate/balancer -> endpoint -> response headers
 * -> classify -> retry under budget? } -> stream the response -> metrics.
 * Every error ends in ex.fail(), which maps it to the proxy's error response.
 */
export function createProxyCall(deps: ProxyCallDeps): (ex: Exchange) => Promise<void> {
  const { services } = deps;
  const targets = new TargetCache(deps.authority);

  async function forward(ex: Exchange, target: Extract<Target, { kind: 'service' }>, logical: LogicalService, profile: Profile, route: Route, rs: RouteSeries) {
    const body = ex.hasBody ? await readBody(ex, route.retryable) : EMPTY_BODY;
    const abort = ex.abort;
    const timer =
      route.timeoutMs > 0
        ? setTimeout(
            () => abort.abort(new OutboundError('ROUTE_TIMEOUT', `route ${route.name} timed out after ${route.timeoutMs} ms`)),
            route.timeoutMs,
          )
        : undefined;
    const started = performance.now();
    let connectRetries = 0;
    let responding = false;
    try {
      for (;;) {
        const backend = logical.backend(profile);
        const acquired = await awaitAcquire(backend, abort);
        const attempt = await sendAttempt(ex, target, acquired, body, abort, rs).catch((err: unknown) => {
          const e = abort.aborted ? abort.reason : upstreamError(err, target.authority);
          throw e;
        });
        if (attempt === 'retry-connect') {
          if (connectRetries < MAX_CONNECT_RETRIES && isReplayable(body)) {
            connectRetries += 1;
            continue;
          }
          throw new OutboundError('CONNECT_FAILED', `no connection to an endpoint of ${target.authority}`);
        }
        const r = attempt.response;
        const classification = classify(route.classes, r.status, r.grpcStatus);
        if (classification === 'failure' && route.retryable) {
          if (!isReplayable(body)) rs.retryable('body_too_large');
          else if (!profile.budget.withdraw()) rs.retryable('no_budget');
          else {
            rs.retryable('');
            r.discard();
            finishAttempt(attempt, rs, classification, r.grpcStatus);
            continue;
          }
        }
        clearTimeout(timer);
        responding = true;
        await respond(ex, attempt, rs, route, started);
        return;
      }
    } catch (err) {
      // The proxy answers this request itself; respond() has counted the others.
      if (!responding && !ex.clientGone()) rs.response(errorResponse(err).status, 'failure', performance.now() - started);
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  async function sendAttempt(
    ex: Exchange,
    target: Extract<Target, { kind: 'service' }>,
    acquired: Acquired,
    body: RequestBody,
    abort: RequestAbort,
    rs: RouteSeries,
  ): Promise<Attempt | 'retry-connect'> {
    const direct = acquired.kind === 'direct';
    const hostPort = `${target.host}:${target.port}`;
    const { connections, series } = direct ? services.directPool(hostPort) : acquired.entry;
    const handle = direct ? undefined : acquired.handle;
    const startMs = performance.now();
    rs.actualRequest();
    series.request();
    try {
      const response = await send(ex, connections, ex.authority ?? hostPort, body, abort);
      handle?.firstByte();
      return { response, series, handle, startMs };
    } catch (err) {
      handle?.end();
      const e = upstreamError(err, direct ? hostPort : acquired.entry.endpoint.id);
      if (e.code === 'CONNECT_FAILED' && !abort.aborted) return 'retry-connect';
      throw e;
    }
  }

  function finishAttempt(a: Attempt, rs: RouteSeries, classification: Classification, grpcStatus: number | undefined) {
    const ms = performance.now() - a.startMs;
    a.handle?.end();
    a.series.response(a.response.status, grpcStatus, classification, ms);
    rs.actualResponse(a.response.status, classification, ms);
  }

  async function respond(ex: Exchange, a: Attempt, rs: RouteSeries, route: Route, started: number) {
    const r = a.response;
    try {
      await ex.respond(r);
    } finally {
      const trailers = r.trailers();
      const trailerStatus = trailers?.['grpc-status'];
      const grpcStatus = r.grpcStatus ?? (typeof trailerStatus === 'string' ? Number(trailerStatus) : undefined);
      const classification = classify(route.classes, r.status, grpcStatus);
      finishAttempt(a, rs, classification, grpcStatus);
      rs.response(r.status, classification, performance.now() - started);
    }
  }

  async function forwardDirect(ex: Exchange, target: Extract<Target, { kind: 'direct' }>) {
    const hostPort = target.host.includes(':') ? `[${target.host}]:${target.port}` : `${target.host}:${target.port}`;
    const { connections, series } = services.directPool(hostPort);
    const body = await readBody(ex, false);
    const startMs = performance.now();
    series.request();
    let response: UpstreamResponse;
    try {
      response = await send(ex, connections, ex.authority ?? hostPort, body, ex.abort);
    } catch (err) {
      throw upstreamError(err, hostPort);
    }
    try {
      await ex.respond(response);
    } finally {
      const classification = classify([], response.status, response.grpcStatus);
      series.response(response.status, response.grpcStatus, classification, performance.now() - startMs);
    }
  }

  return async function proxyCall(ex: Exchange): Promise<void> {
    try {
      const authority = ex.authority;
      const resolved = authority === undefined ? null : targets.resolve(authority);
      if (resolved === null) throw new OutboundError('BAD_REQUEST', `missing or malformed authority ${JSON.stringify(authority ?? '')}`);
      const target = resolved.target;
      if (deps.selfAuthorities.has(resolved.hostPort)) {
        throw new OutboundError('BAD_REQUEST', 'the request is addressed to the proxy itself');
      }
      if (target.kind === 'direct') {
        await forwardDirect(ex, target);
        return;
      }
      const logical = services.logical(target.authority);
      const profile = logical.profile ?? (await logical.ready());
      const route = profile.routes.length === 0 ? DEFAULT_ROUTE : selectRoute(profile, ex.method, pathOf(ex.path));
      const rs = logical.series(route);
      rs.request();
      profile.budget.deposit();
      await forward(ex, target, logical, profile, route, rs);
    } catch (err) {
      if (ex.clientGone()) return;
      ex.fail(err);
      if (!(err instanceof OutboundError)) deps.logger.debug({ err }, 'outbound request failed');
    }
  };
}
