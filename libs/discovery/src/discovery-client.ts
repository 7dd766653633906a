import { status as GrpcStatus, type ClientReadableStream } from '@grpc/grpc-js';
import { ExponentialBackoff, type Random } from '@trellis/balance';
import type { DestinationProfile, GetDestination, Update } from '@trellis/proto';
import type { Logger } from 'pino';
import {
  Observable,
  ReplaySubject,
  catchError,
  defer,
  finalize,
  of,
  retry,
  scan,
  share,
  tap,
  throwError,
  timeout,
  timer,
} from 'rxjs';
import { DiscoveryError } from './errors';
import { NOT_FOUND, applyResolutionUpdate, type Resolution } from './resolution';

/** linkerd2-proxy: a discovery stream must yield its first message within this time, or is retried. */
export const FIRST_MESSAGE_TIMEOUT_MS = 3_000;
/** Ours: a stream lingers this long after its last subscriber, so a returning caller reuses it. */
export const STREAM_IDLE_TEARDOWN_MS = 5_000;

/** The part of the generated `DestinationClient` this module uses. */
export interface DestinationApi {
  get(request: GetDestination): ClientReadableStream<Update>;
  getProfile(request: GetDestination): ClientReadableStream<DestinationProfile>;
}

export type StreamKind = 'resolve' | 'profile';
/** connecting: waiting for the first message of an attempt; live: got one; backoff: waiting to reconnect. */
export type StreamState = 'connecting' | 'live' | 'backoff';

export interface DiscoveryOptions {
  api: DestinationApi;
  contextToken: string;
  random: Random;
  logger: Logger;
  firstMessageTimeoutMs?: number;
  idleTeardownMs?: number;
}

function grpcStream<T>(open: () => ClientReadableStream<T>): Observable<T> {
  return new Observable<T>((subscriber) => {
    const call = open();
    call.on('data', (message: T) => subscriber.next(message));
    call.on('error', (err) => subscriber.error(err));
    call.on('end', () => subscriber.error(new DiscoveryError('STREAM_ENDED', 'the destination service ended the stream')));
    return () => {
      call.removeAllListeners();
      // cancel() makes grpc-js emit a CANCELLED error, which must have a listener.
      call.on('error', () => undefined);
      call.cancel();
    };
  });
}

function isInvalidArgument(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === GrpcStatus.INVALID_ARGUMENT;
}

/**
 * Per authority, one `Get` and one `GetProfile` stream shared by every caller (a replayed
 * latest value for late subscribers), torn down a while after the last caller leaves.
 *
 * Each stream: attempt -> (first message within the timeout) -> live; any error or end ->
 * backoff (100 ms doubling to 5 s with jitter, reset by every good message) -> attempt again.
 * While reconnecting, subscribers keep the last value; the first message of the new attempt
 * replaces it. INVALID_ARGUMENT is final: a resolution becomes not-found, a profile null.
 */
export class Discovery {
  private readonly streams = new Map<string, Observable<unknown>>();
  private readonly states = new Map<string, { kind: StreamKind; state: StreamState }>();
  private readonly reconnects = { resolve: 0, profile: 0 };
  private readonly firstMessageTimeoutMs: number;
  private readonly idleTeardownMs: number;

  constructor(private readonly opts: DiscoveryOptions) {
    this.firstMessageTimeoutMs = opts.firstMessageTimeoutMs ?? FIRST_MESSAGE_TIMEOUT_MS;
    this.idleTeardownMs = opts.idleTeardownMs ?? STREAM_IDLE_TEARDOWN_MS;
  }

  resolve(authority: string): Observable<Resolution> {
    return this.shared('resolve', authority, () =>
      grpcStream(() => this.opts.api.get(this.request(authority))).pipe(
        scan<Update, Resolution | undefined>((acc, update) => applyResolutionUpdate(acc, update), undefined),
      ),
    ) as Observable<Resolution>;
  }

  /** Emits the latest profile, or null when the destination rejects the authority. */
  profile(authority: string): Observable<DestinationProfile | null> {
    return this.shared('profile', authority, () =>
      grpcStream(() => this.opts.api.getProfile(this.request(authority))),
    ) as Observable<DestinationProfile | null>;
  }

  /** Counts of streams per kind and state, for the discovery gauges. */
  stateCounts(): { kind: StreamKind; state: StreamState; count: number }[] {
    const counts = new Map<string, { kind: StreamKind; state: StreamState; count: number }>();
    for (const s of this.states.values()) {
      const key = `${s.kind}/${s.state}`;
      const entry = counts.get(key) ?? { ...s, count: 0 };
      entry.count += 1;
      counts.set(key, entry);
    }
    return [...counts.values()];
  }

  /** Every stream and its state, for the admin introspection pages. */
  streamStates(): { kind: StreamKind; authority: string; state: StreamState }[] {
    return [...this.states].map(([key, s]) => ({ kind: s.kind, authority: key.slice(key.indexOf(' ') + 1), state: s.state }));
  }

  reconnectCount(kind: StreamKind): number {
    return this.reconnects[kind];
  }

  private request(authority: string): GetDestination {
    return { scheme: 'k8s', path: authority, contextToken: this.opts.contextToken };
  }

  private shared<T>(kind: StreamKind, authority: string, attempt: () => Observable<T>): Observable<T> {
    const key = `${kind} ${authority}`;
    const existing = this.streams.get(key);
    if (existing !== undefined) return existing as Observable<T>;
    const backoff = new ExponentialBackoff({ random: this.opts.random });
    const log = this.opts.logger;
    const setState = (state: StreamState) => this.states.set(key, { kind, state });
    const finalValue = kind === 'resolve' ? NOT_FOUND : null;
    const stream = defer(() => {
      setState('connecting');
      return attempt().pipe(
        timeout({
          first: this.firstMessageTimeoutMs,
          with: () => throwError(() => new DiscoveryError('FIRST_MESSAGE_TIMEOUT', `no ${kind} message for ${authority} in ${this.firstMessageTimeoutMs} ms`)),
        }),
        tap(() => {
          backoff.reset();
          setState('live');
        }),
      );
    }).pipe(
      retry({
        delay: (err: unknown) => {
          if (isInvalidArgument(err)) return throwError(() => err);
          const delayMs = backoff.next();
          this.reconnects[kind] += 1;
          setState('backoff');
          log.warn({ kind, authority, delayMs, err: (err as Error).message }, 'discovery stream failed; reconnecting');
          return timer(delayMs);
        },
      }),
      catchError((err: unknown) => {
        log.warn({ kind, authority, err: (err as Error).message }, 'destination rejected the authority');
        return of(finalValue as T);
      }),
      finalize(() => {
        this.states.delete(key);
        if (this.streams.get(key) === stream) this.streams.delete(key);
      }),
      share({
        connector: () => new ReplaySubject<T>(1),
        resetOnError: true,
        resetOnComplete: true,
        resetOnRefCountZero: () => timer(this.idleTeardownMs),
      }),
    );
    this.streams.set(key, stream);
    return stream;
  }
}
