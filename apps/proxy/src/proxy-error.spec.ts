import { describe, expect, it } from 'vitest';
import { ForbiddenError, InboundError, QueueFullError, RateLimitedError, RouteNotFoundError } from './inbound/errors';
import { OutboundError, upstreamError } from './outbound/errors';
import { clientErrorCode, errorHeaders, errorHeadersOf, errorResponse, PROXY_ERRORS, rawErrorResponse, responseFlag } from './proxy-error';

describe('the proxy error table', () => {
  it.each([
    [new OutboundError('FAIL_FAST', 'x'), 503, 'service in fail-fast', 14],
    [new OutboundError('QUEUE_FULL', 'x'), 503, 'pending request queue full', 14],
    [new OutboundError('BREAKER_OPEN', 'x'), 503, 'circuit breaker open', 14],
    [new OutboundError('ROUTE_TIMEOUT', 'x'), 504, 'request timed out', 4],
    [new OutboundError('CONNECT_FAILED', 'x'), 502, 'connection to endpoint failed', 14],
    [new OutboundError('BAD_REQUEST', 'x'), 400, 'bad request', 13],
    [new QueueFullError(), 503, 'pending request queue full', 14],
    [new InboundError('INBOUND_REQUEST_TIMEOUT'), 504, 'request timeout', 4],
    [new ForbiddenError('x'), 403, 'unauthorized request on route', 7],
    [new RouteNotFoundError(), 404, 'no route found for request', 5],
    [new RateLimitedError('total', 2), 429, 'too many requests', 8],
    [new Error('anything else'), 502, 'endpoint failed', 14],
  ])('%s -> %i %s (grpc-status %i)', (err, status, reason, grpcStatus) => {
    expect(errorResponse(err)).toEqual({ status, reason, grpcStatus });
  });

  it('answers gRPC callers trailers-only with grpc-status and the reason', () => {
    expect(errorHeaders(PROXY_ERRORS.FAIL_FAST, true)).toEqual({
      'content-type': 'application/grpc',
      'grpc-status': '14',
      'grpc-message': 'service%20in%20fail-fast',
      'l5d-proxy-error': 'service in fail-fast',
    });
    expect(errorHeaders(PROXY_ERRORS.FAIL_FAST, false)['l5d-proxy-error']).toBe('service in fail-fast');
  });

  it('adds the headers an error carries (Retry-After on a 429), for HTTP and gRPC callers', () => {
    expect(errorHeadersOf(new RateLimitedError('identity', 3), false)).toMatchObject({ 'retry-after': '3', 'l5d-proxy-error': 'too many requests' });
    expect(errorHeadersOf(new RateLimitedError('identity', 3), true)).toMatchObject({ 'retry-after': '3', 'grpc-status': '8' });
    expect(errorHeadersOf(new ForbiddenError('x'), false)).toEqual(errorHeaders(PROXY_ERRORS.FORBIDDEN, false));
  });

  it.each([
    ['FORBIDDEN', 'UAEX'],
    ['RATE_LIMITED', 'RL'],
    ['INBOUND_NO_ROUTE', 'NR'],
    ['INBOUND_REQUEST_TIMEOUT', 'UT'],
    ['CONNECT_FAILED', 'UF'],
    [undefined, '-'],
  ] as const)('gives %s the Envoy response flag %s', (code, flag) => {
    expect(responseFlag(code)).toBe(flag);
  });

  it('maps parser refusals and writes whole raw responses', () => {
    expect(clientErrorCode('HPE_HEADER_OVERFLOW')).toBe('HEADERS_TOO_LARGE');
    expect(clientErrorCode('ERR_HTTP_REQUEST_TIMEOUT')).toBe('REQUEST_HEAD_TIMEOUT');
    expect(clientErrorCode('HPE_INVALID_METHOD')).toBe('BAD_REQUEST');
    expect(rawErrorResponse('HEADERS_TOO_LARGE')).toBe(
      'HTTP/1.1 431 Request Header Fields Too Large\r\nl5d-proxy-error: request headers too large\r\nconnection: close\r\n' +
        'content-type: text/plain; charset=utf-8\r\ncontent-length: 26\r\n\r\nrequest headers too large\n',
    );
  });
});

describe('upstreamError', () => {
  const coded = (code: string, cause?: unknown) => Object.assign(new Error(code), { code, cause });

  it.each([
    ['a refused connection', coded('ECONNREFUSED'), 'CONNECT_FAILED', true],
    ['a connect timeout', coded('HTTP1_CONNECT_TIMEOUT'), 'CONNECT_FAILED', true],
    ['an HTTP/2 stream cancelled by a refused session', coded('ERR_HTTP2_STREAM_CANCEL', coded('ECONNREFUSED')), 'CONNECT_FAILED', true],
    ['a pool closed under a queued request', coded('HTTP1_POOL_CLOSED'), 'UPSTREAM_FAILED', true],
    ['a GOAWAY before the stream', coded('ERR_HTTP2_GOAWAY_SESSION'), 'UPSTREAM_FAILED', true],
    ['a reset after sending', coded('ECONNRESET'), 'UPSTREAM_FAILED', false],
    ['a full connection queue', coded('HTTP1_QUEUE_FULL'), 'QUEUE_FULL', false],
    ['the backend at its connection limit', coded('HTTP1_BREAKER_OVERFLOW'), 'BREAKER_OPEN', false],
  ])('%s is %s, notSent=%s', (_name, err, code, notSent) => {
    const e = upstreamError(err, '10.0.0.1:80');
    expect({ code: e.code, notSent: e.notSent }).toEqual({ code, notSent });
  });
});
