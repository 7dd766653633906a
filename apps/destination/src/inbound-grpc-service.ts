import type { sendUnaryData, ServerUnaryCall, ServerWritableStream, UntypedServiceImplementation } from '@grpc/grpc-js';
import { inbound } from '@trellis/proto';
import type { Logger } from 'pino';
import { BoundedStream } from './bounded-stream';
import { DestinationError } from './errors';
import type { StreamRegistry } from './grpc-service';
import { cachedEncoder } from './grpc-service';
import { toGrpcStatus } from './grpc-status';
import type { InboundRequest, InboundWatcher } from './inbound-watcher';
import type { DestinationMetrics } from './metrics';
import { parseWorkload } from './workload';

export interface InboundServiceDeps {
  inbound: InboundWatcher;
  metrics: DestinationMetrics;
  logger: Logger;
  streamQueueLimit: number;
  /** Resolves once the source has synced; answers wait for it. */
  ready: Promise<void>;
}

/** Linkerd's InboundServerPolicies service definition; a Server shared by many WatchPort streams is encoded once. */
export const INBOUND_SERVER_POLICIES_SERVICE = {
  getPort: inbound.InboundServerPoliciesService.getPort,
  watchPort: {
    ...inbound.InboundServerPoliciesService.watchPort,
    responseSerialize: cachedEncoder<inbound.Server>((m) => inbound.Server.encode(m).finish()),
  },
} as const;

/** Checked before waiting for the source, so a malformed request fails at once (INVALID_ARGUMENT). */
function parseRequest(spec: inbound.PortSpec): InboundRequest {
  const parsed = parseWorkload(spec.workload);
  if (!parsed.ok) throw new DestinationError('DST_BAD_TARGET', parsed.reason);
  if (!(spec.port >= 1 && spec.port <= 65535)) throw new DestinationError('DST_BAD_TARGET', `PortSpec.port must be from 1 to 65535, got ${spec.port}`);
  return { namespace: parsed.workload.namespace, pod: parsed.workload.pod, port: spec.port };
}

/** InboundServerPolicies.GetPort and WatchPort; WatchPort streams share the watcher's views and have a bounded backlog. */
export function createInboundHandlers(deps: InboundServiceDeps, registry: StreamRegistry): UntypedServiceImplementation {
  const getPort = async (call: ServerUnaryCall<inbound.PortSpec, inbound.Server>, callback: sendUnaryData<inbound.Server>) => {
    try {
      const request = parseRequest(call.request);
      await deps.ready;
      const server = deps.inbound.current(request);
      deps.metrics.inboundPolicySent();
      callback(null, server);
    } catch (err) {
      callback(toGrpcStatus(err));
    }
  };

  const watchPort = async (call: ServerWritableStream<inbound.PortSpec, inbound.Server>) => {
    const teardowns: (() => void)[] = [];
    const stream = new BoundedStream<inbound.Server>(call, {
      limit: deps.streamQueueLimit,
      onOverflow: () => {
        deps.metrics.overflow('inbound_watch');
        deps.logger.warn({ method: 'inbound_watch' }, 'stream overflowed its queue; closed with RESOURCE_EXHAUSTED');
      },
      onSent: () => deps.metrics.inboundPolicySent(),
      onClose: () => {
        registry.delete(stream as BoundedStream<unknown>);
        for (const teardown of teardowns.splice(0)) teardown();
      },
    });
    deps.metrics.streamOpened('inbound_watch');
    if (!registry.add(stream as BoundedStream<unknown>)) stream.end();
    try {
      const request = parseRequest(call.request);
      await deps.ready;
      if (stream.isClosed) return;
      const sub = deps.inbound.subscribe(request, (server) => stream.send(server));
      if (stream.isClosed) sub.unsubscribe();
      else teardowns.push(() => sub.unsubscribe());
      stream.send(sub.initial);
    } catch (err) {
      stream.fail(err);
    }
  };

  return { getPort, watchPort };
}
