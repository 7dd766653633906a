import { status as GrpcStatus, type ClientReadableStream } from '@grpc/grpc-js';
import { ExponentialBackoff, type Random } from '@trellis/balance';
import type { OutboundPolicy, TrafficSpec } from '@trellis/proto';
import type { Logger } from 'pino';
import { Observable, ReplaySubject, finalize, share, timer } from 'rxjs';

/** Ours: a policy stream lingers this long after its last subscriber, as the discovery streams do. */
export const POLICY_IDLE_TEARDOWN_MS = 5_000;

/** The part of the generated `OutboundPoliciesClient` this module uses. */
export interface OutboundPoliciesApi {
  watch(request: TrafficSpec): ClientReadableStream<OutboundPolicy>;
}

export interface PolicyDiscoveryOptions {
  /** Undefined: no policy API is configured; every watch says "none" at once. */
  api: OutboundPoliciesApi | undefined;
  /** Linkerd's workload token, `{"ns":...,"pod":...}`. */
  sourceWorkload: string;
  random: Random;
  logger: Logger;
  idleTeardownMs?: number;
}

/**
 * Answers that say "this server has no policy for you, ever": Linkerd's destination without the
 * policy controller (UNIMPLEMENTED), or a target it does not know (INVALID_ARGUMENT, NOT_FOUND).
 */
const FINAL_CODES = new Set<number>([GrpcStatus.UNIMPLEMENTED, GrpcStatus.INVALID_ARGUMENT, GrpcStatus.NOT_FOUND]);

function codeOf(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/**
 * `OutboundPolicies.Watch` per authority, shared by every caller (the latest policy replayed to late
 * subscribers), torn down a while after the last one leaves. Emits each policy the server sends, or
 * null for "no policy": the server answered with a final code, or the stream failed before its first
 * policy (the caller then routes by GetProfile until a policy arrives).
 *
 * States: watching -> (policy) live -> (error or end) backoff -> watching. A stream that breaks keeps
 * its last policy; reconnects wait 100 ms doubling to 60 s with jitter, reset by every policy.
 */
export class PolicyDiscovery {
  private readonly streams = new Map<string, Observable<OutboundPolicy | null>>();
  private readonly idleTeardownMs: number;
  private closed = false;

  constructor(private readonly opts: PolicyDiscoveryOptions) {
    this.idleTeardownMs = opts.idleTeardownMs ?? POLICY_IDLE_TEARDOWN_MS;
  }

  watch(authority: string): Observable<OutboundPolicy | null> {
    const existing = this.streams.get(authority);
    if (existing !== undefined) return existing;
    const stream = this.watchOnce(authority).pipe(
      finalize(() => {
        if (this.streams.get(authority) === stream) this.streams.delete(authority);
      }),
      share({
        connector: () => new ReplaySubject<OutboundPolicy | null>(1),
        resetOnError: true,
        resetOnComplete: false,
        resetOnRefCountZero: () => timer(this.idleTeardownMs),
      }),
    );
    this.streams.set(authority, stream);
    return stream;
  }

  /** Idempotent: no stream reconnects after this (the client's channel is about to close). */
  close(): void {
    this.closed = true;
  }

  private watchOnce(authority: string): Observable<OutboundPolicy | null> {
    const { api, logger, random, sourceWorkload } = this.opts;
    return new Observable<OutboundPolicy | null>((subscriber) => {
      if (api === undefined) {
        subscriber.next(null);
        return undefined;
      }
      const backoff = new ExponentialBackoff({ random });
      let call: ClientReadableStream<OutboundPolicy> | undefined;
      let retryTimer: NodeJS.Timeout | undefined;
      let sentAny = false;
      const stop = () => {
        if (call === undefined) return;
        const c = call;
        call = undefined;
        c.removeAllListeners();
        // cancel() makes grpc-js emit a CANCELLED error, which must have a listener.
        c.on('error', () => undefined);
        c.cancel();
      };
      const fail = (err: unknown) => {
        stop();
        if (this.closed) return;
        const code = codeOf(err);
        if (code !== undefined && FINAL_CODES.has(code)) {
          logger.info({ authority, code }, 'no outbound policy from the policy service; routing by GetProfile');
          subscriber.next(null);
          return;
        }
        if (!sentAny) {
          sentAny = true;
          subscriber.next(null);
        }
        const delayMs = backoff.next();
        logger.warn({ authority, delayMs, err: (err as Error)?.message }, 'policy stream failed; reconnecting');
        retryTimer = setTimeout(open, delayMs);
      };
      const open = () => {
        retryTimer = undefined;
        if (this.closed) return;
        let c: ClientReadableStream<OutboundPolicy>;
        try {
          c = api.watch({ sourceWorkload, target: { $case: 'authority', value: authority } });
        } catch (err) {
          fail(err);
          return;
        }
        call = c;
        c.on('data', (policy: OutboundPolicy) => {
          backoff.reset();
          sentAny = true;
          subscriber.next(policy);
        });
        c.on('error', fail);
        c.on('end', () => fail(new Error('the policy service ended the stream')));
      };
      open();
      return () => {
        clearTimeout(retryTimer);
        stop();
      };
    });
  }
}
