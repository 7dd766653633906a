import http2, { type ClientHttp2Session, type OutgoingHttpHeaders } from 'node:http2';
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { RequestAbort } from './request-abort';
import type { RequestBody } from './request-body';

/** An upstream response at its headers; the body is still to be streamed (or discarded). */
export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** grpc-status when the response carries it in its headers (a trailers-only response). */
  grpcStatus: number | undefined;
  /** The response ended with its headers (HTTP/2 END_STREAM on HEADERS). */
  endStream: boolean;
  body: Readable;
  /** Trailers, once the body has ended (HTTP/2). */
  trailers(): Record<string, string | string[] | undefined> | undefined;
  /** Drops the body of a response that will not be forwarded (a retried failure). */
  discard(): void;
}

/** Ours: a discarded HTTP/1.1 body up to this size is read to keep its connection; larger ones cut it. */
export const MAX_DISCARD_BYTES = 64 * 1024;

function ignoreErrors(body: Readable): void {
  body.on('error', () => undefined);
}

function grpcStatusOf(headers: Record<string, string | string[] | undefined>): number | undefined {
  const value = headers['grpc-status'];
  if (typeof value !== 'string') return undefined;
  const n = Number(value);
  return Number.isInteger(n) ? n : undefined;
}

/** Sends one HTTP/1.1 request through an undici pool; resolves at the response headers. */
export async function sendH1(
  pool: Dispatcher,
  method: string,
  path: string,
  headers: string[],
  body: RequestBody,
  abort: RequestAbort,
): Promise<UpstreamResponse> {
  const res = await pool.request({
    method: method as Dispatcher.HttpMethod,
    path,
    headers,
    body: body.kind === 'empty' ? null : body.kind === 'buffered' ? body.data : body.stream,
    signal: abort,
  });
  const h = res.headers as Record<string, string | string[] | undefined>;
  // Errors after the headers reach whoever streams the body; this keeps an unread body from crashing.
  ignoreErrors(res.body);
  return {
    status: res.statusCode,
    headers: h,
    grpcStatus: grpcStatusOf(h),
    endStream: false,
    body: res.body,
    trailers: () => res.trailers,
    discard: () => {
      res.body.dump({ limit: MAX_DISCARD_BYTES }).catch(() => undefined);
    },
  };
}

/** Sends one HTTP/2 request on a session; resolves at the response headers. */
export function sendH2(
  session: ClientHttp2Session,
  headers: OutgoingHttpHeaders,
  body: RequestBody,
  abort: RequestAbort,
): Promise<UpstreamResponse> {
  return new Promise((resolve, reject) => {
    if (abort.aborted) {
      reject(abort.reason);
      return;
    }
    const stream = session.request(headers, { endStream: body.kind === 'empty' });
    const onAbort = () => stream.destroy(abort.reason instanceof Error ? abort.reason : new Error('request aborted'));
    abort.once('abort', onAbort);
    stream.once('close', () => abort.off('abort', onAbort));
    let trailers: Record<string, string | string[] | undefined> | undefined;
    stream.on('trailers', (t) => {
      trailers = t as Record<string, string | string[] | undefined>;
    });
    const onError = (err: Error) => reject(err);
    stream.once('error', onError);
    stream.once('response', (h, flags: number) => {
      stream.off('error', onError);
      ignoreErrors(stream);
      const responseHeaders = h as Record<string, string | string[] | undefined>;
      const status = Number(responseHeaders[http2.constants.HTTP2_HEADER_STATUS] ?? 502);
      resolve({
        status,
        headers: responseHeaders,
        grpcStatus: grpcStatusOf(responseHeaders),
        endStream: (flags & http2.constants.NGHTTP2_FLAG_END_STREAM) !== 0,
        body: stream,
        trailers: () => trailers,
        discard: () => {
          stream.destroy();
        },
      });
    });
    if (body.kind === 'buffered') stream.end(body.data);
    else if (body.kind === 'stream') {
      body.stream.on('error', (err) => stream.destroy(err));
      body.stream.pipe(stream);
    }
  });
}
