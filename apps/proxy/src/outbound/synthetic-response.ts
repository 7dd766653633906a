import type { Writable } from 'node:stream';
import { PROXY_ERROR_HEADER } from '../proxy-error';
import type { UpstreamResponse } from './upstream';

type Fields = Record<string, string | string[] | undefined>;

/** grpc-status UNKNOWN: what a gRPC caller gets from an HTTP failure filter, which names no code. */
const GRPC_UNKNOWN = 2;

/**
 * A response the proxy makes for a route filter (a redirect, an injected failure) instead of
 * forwarding: it goes up the stack like an upstream response (metrics, response header filters),
 * with a small fixed body, or none with `endStream` (a gRPC trailers-only answer).
 */
export function syntheticResponse(status: number, headers: Fields, body: string | undefined): UpstreamResponse {
  const listeners: (() => void)[] = [];
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    for (const l of listeners.splice(0)) l();
  };
  const grpc = headers['grpc-status'];
  return {
    status,
    headers: body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) },
    grpcStatus: typeof grpc === 'string' ? Number(grpc) : undefined,
    endStream: body === undefined,
    // Settles on the response's own events, as both HTTP/1.1 servers and HTTP/2 streams emit them: 'finish' once
    // it all went out, 'close' without it when the client went first (end()'s callback is Node's alone).
    pipeTo: (dst: Writable) =>
      new Promise<void>((resolve, reject) => {
        const fail = (err: Error) => {
          end();
          reject(err);
        };
        dst.once('error', fail);
        dst.once('finish', () => {
          end();
          resolve();
        });
        dst.once('close', () => {
          if (!dst.writableFinished) fail(new Error('the client went away before the response ended'));
        });
        dst.end(body ?? '');
      }),
    trailers: () => undefined,
    discard: end,
    onEnd: (listener) => {
      if (ended) listener();
      else listeners.push(listener);
    },
  };
}

/** Linkerd's failure injector answers with the filter's status and its message in `l5d-proxy-error`; gRPC: trailers-only. */
export function injectedFailure(f: { status: number; grpcCode: number | undefined; message: string }, grpc: boolean): UpstreamResponse {
  if (grpc) {
    const code = f.grpcCode ?? GRPC_UNKNOWN;
    return syntheticResponse(200, { 'content-type': 'application/grpc', 'grpc-status': String(code), 'grpc-message': encodeURIComponent(f.message), [PROXY_ERROR_HEADER]: f.message }, undefined);
  }
  return syntheticResponse(f.status, { 'content-type': 'text/plain; charset=utf-8', [PROXY_ERROR_HEADER]: f.message }, `${f.message}\n`);
}

export function redirectResponse(status: number, location: string): UpstreamResponse {
  return syntheticResponse(status, { location }, '');
}
