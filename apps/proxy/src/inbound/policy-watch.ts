import { credentials, type ClientReadableStream } from '@grpc/grpc-js';
import { ExponentialBackoff, type Random } from '@trellis/balance';
import { inbound } from '@trellis/proto';
import { Observable, defer, retry, tap, timer, type Subscription } from 'rxjs';
import type { Logger } from '../logger';

/** The part of the generated InboundServerPoliciesClient this module uses. */
export interface InboundPolicyApi {
  watchPort(request: inbound.PortSpec): ClientReadableStream<inbound.Server>;
  close(): void;
}

export interface PolicyWatchOptions {
  readonly api: InboundPolicyApi;
  /** Linkerd's workload token, JSON `{"ns","pod"}`. */
  readonly workload: string;
  readonly port: number;
  readonly onServer: (server: inbound.Server) => void;
  /** Called each time the stream failed and a new one is scheduled. */
  readonly onReconnect: () => void;
  readonly logger: Logger;
  readonly random: Random;
  /** Reconnect backoff; linkerd2-proxy's control-plane default (100 ms doubling to 5 s, jitter 0.1) when unset. */
  readonly backoff?: { readonly minMs: number; readonly maxMs: number };
}

export interface PolicyWatch {
  /** Idempotent. */
  close(): void;
}

/** The generated client for the destination's policy port. */
export function inboundPolicyClient(addr: string): InboundPolicyApi {
  return new inbound.InboundServerPoliciesClient(addr, credentials.createInsecure());
}

function serverStream(open: () => ClientReadableStream<inbound.Server>): Observable<inbound.Server> {
  return new Observable<inbound.Server>((subscriber) => {
    const call = open();
    call.on('data', (message: inbound.Server) => subscriber.next(message));
    call.on('error', (err) => subscriber.error(err));
    call.on('end', () => subscriber.error(new Error('the policy server ended the stream')));
    return () => {
      call.removeAllListeners();
      // cancel() makes grpc-js emit a CANCELLED error, which must have a listener.
      call.on('error', () => undefined);
      call.cancel();
    };
  });
}

/**
 * One `WatchPort(workload, port)` stream, kept open for the life of the proxy: every Server it
 * sends goes to `onServer` (which validates it and keeps the last valid policy). An error or an
 * end of the stream -> backoff -> a new stream; the backoff resets on every message. While the
 * stream is down the last policy stays in force: a lost control plane never changes who may call.
 */
export function watchInboundPolicy(options: PolicyWatchOptions): PolicyWatch {
  const { api, logger } = options;
  const backoff = new ExponentialBackoff({ random: options.random, ...options.backoff });
  let closed = false;
  const spec: inbound.PortSpec = { workload: options.workload, port: options.port };
  const subscription: Subscription = defer(() => serverStream(() => api.watchPort(spec)))
    .pipe(
      tap(() => backoff.reset()),
      retry({
        delay: (err: unknown) => {
          options.onReconnect();
          const delayMs = backoff.next();
          logger.warn({ port: options.port, delayMs, err: (err as Error).message }, 'inbound policy stream failed; keeping the last policy and reconnecting');
          return timer(delayMs);
        },
      }),
    )
    .subscribe({ next: (server) => options.onServer(server) });
  return {
    close() {
      if (closed) return;
      closed = true;
      subscription.unsubscribe();
      api.close();
    },
  };
}
