import type { ServerWritableStream, UntypedServiceImplementation } from '@grpc/grpc-js';
import type { DestinationProfile, GetDestination, Update } from '@trellis/proto';
import { DestinationProfile as ProfileCodec, DestinationService, Update as UpdateCodec } from '@trellis/proto';
import type { Logger } from 'pino';
import { parseAuthority } from './authority';
import { BoundedStream } from './bounded-stream';
import { parseContextToken } from './context-token';
import type { EndpointWatcher } from './endpoint-watcher';
import type { DestinationMetrics, StreamMethod } from './metrics';
import type { ProfileWatcher } from './profile-watcher';

export interface DestinationServiceDeps {
  endpoints: EndpointWatcher;
  profiles: ProfileWatcher;
  metrics: DestinationMetrics;
  logger: Logger;
  clusterDomain: string;
  streamQueueLimit: number;
  /** Resolves once the source has synced; streams wait for it before their first message. */
  ready: Promise<void>;
}

// Messages shared by many streams (a snapshot's first `add`, a diff) are encoded once: the cache is
// keyed by the message object, which the watchers never mutate after publishing it.
export function cachedEncoder<T extends object>(encode: (message: T) => Uint8Array): (message: T) => Buffer {
  const cache = new WeakMap<T, Buffer>();
  return (message) => {
    let bytes = cache.get(message);
    if (!bytes) {
      const raw = encode(message);
      bytes = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
      cache.set(message, bytes);
    }
    return bytes;
  };
}

/** Linkerd's Destination service definition, with shared-message encoding on the response side. */
export const DESTINATION_SERVICE = {
  get: { ...DestinationService.get, responseSerialize: cachedEncoder<Update>((m) => UpdateCodec.encode(m).finish()) },
  getProfile: { ...DestinationService.getProfile, responseSerialize: cachedEncoder<DestinationProfile>((m) => ProfileCodec.encode(m).finish()) },
} as const;

/** Open streams, so shutdown can end each of them cleanly. */
export class StreamRegistry {
  private readonly streams = new Set<BoundedStream<unknown>>();
  private draining = false;

  add(stream: BoundedStream<unknown>): boolean {
    if (this.draining) return false;
    this.streams.add(stream);
    return true;
  }

  delete(stream: BoundedStream<unknown>): void {
    this.streams.delete(stream);
  }

  get size(): number {
    return this.streams.size;
  }

  endAll(): void {
    this.draining = true;
    for (const stream of [...this.streams]) stream.end();
    this.streams.clear();
  }
}

function openStream<T>(
  call: ServerWritableStream<GetDestination, T>,
  method: StreamMethod,
  deps: DestinationServiceDeps,
  registry: StreamRegistry,
  onSent: (message: T) => void,
): { stream: BoundedStream<T>; onClose(teardown: () => void): void } {
  const teardowns: (() => void)[] = [];
  const stream = new BoundedStream<T>(call, {
    limit: deps.streamQueueLimit,
    onOverflow: () => {
      deps.metrics.overflow(method);
      deps.logger.warn({ method, path: call.request.path }, 'stream overflowed its queue; closed with RESOURCE_EXHAUSTED');
    },
    onSent: (message) => onSent(message as T),
    onClose: () => {
      registry.delete(stream as BoundedStream<unknown>);
      for (const teardown of teardowns.splice(0)) teardown();
    },
  });
  deps.metrics.streamOpened(method);
  if (!registry.add(stream as BoundedStream<unknown>)) stream.end();
  return { stream, onClose: (teardown) => (stream.isClosed ? teardown() : teardowns.push(teardown)) };
}

function clientNamespace(request: GetDestination, logger: Logger): string | undefined {
  const parsed = parseContextToken(request.contextToken);
  if (!parsed.ok) {
    logger.debug({ reason: parsed.reason }, 'ignoring unreadable context token');
    return undefined;
  }
  return parsed.token.ns;
}

/** The Get and GetProfile handlers. Every failure reaches the client through BoundedStream.fail. */
export function createDestinationHandlers(deps: DestinationServiceDeps, registry: StreamRegistry): UntypedServiceImplementation {
  const get = async (call: ServerWritableStream<GetDestination, Update>) => {
    const { stream, onClose } = openStream(call, 'get', deps, registry, (m) => deps.metrics.updateSent(m));
    try {
      const authority = parseAuthority(call.request.path, deps.clusterDomain, false);
      clientNamespace(call.request, deps.logger);
      await deps.ready;
      if (stream.isClosed || authority.kind !== 'service') return;
      const sub = deps.endpoints.subscribe(authority.namespace, authority.service, authority.port, (updates) => {
        for (const update of updates) stream.send(update);
      });
      onClose(() => sub.unsubscribe());
      stream.send(sub.initial);
    } catch (err) {
      stream.fail(err);
    }
  };

  const getProfile = async (call: ServerWritableStream<GetDestination, DestinationProfile>) => {
    const { stream, onClose } = openStream(call, 'get_profile', deps, registry, () => deps.metrics.profileSent());
    try {
      const authority = parseAuthority(call.request.path, deps.clusterDomain, true);
      const namespace = clientNamespace(call.request, deps.logger);
      await deps.ready;
      if (stream.isClosed) return;
      const sub = deps.profiles.subscribe(authority, namespace, (profile) => stream.send(profile));
      onClose(() => sub.unsubscribe());
      stream.send(sub.initial);
    } catch (err) {
      stream.fail(err);
    }
  };

  return { get, getProfile };
}
