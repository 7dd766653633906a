import type { sendUnaryData, ServerUnaryCall, ServerWritableStream, UntypedServiceImplementation } from '@grpc/grpc-js';
import { namespaceOf } from '@trellis/kube';
import type { TrafficSpec } from '@trellis/proto';
import { OutboundPolicy, OutboundPoliciesService } from '@trellis/proto';
import type { Logger } from 'pino';
import { parseAuthority } from './authority';
import { BoundedStream } from './bounded-stream';
import { parseContextToken } from './context-token';
import { DestinationError } from './errors';
import type { StreamRegistry } from './grpc-service';
import { cachedEncoder } from './grpc-service';
import { toGrpcStatus } from './grpc-status';
import { fromIpAddress, toIpAddress } from './ip-address';
import type { DestinationMetrics } from './metrics';
import type { PolicyRequest, PolicyWatcher } from './policy-watcher';

export interface PolicyServiceDeps {
  policies: PolicyWatcher;
  metrics: DestinationMetrics;
  logger: Logger;
  clusterDomain: string;
  streamQueueLimit: number;
  /** Resolves once the source has synced; answers wait for it. */
  ready: Promise<void>;
}

/** Linkerd's OutboundPolicies service definition; a policy shared by many Watch streams is encoded once. */
export const OUTBOUND_POLICIES_SERVICE = {
  get: OutboundPoliciesService.get,
  watch: { ...OutboundPoliciesService.watch, responseSerialize: cachedEncoder<OutboundPolicy>((m) => OutboundPolicy.encode(m).finish()) },
} as const;

type Target = { kind: 'service'; namespace: string; service: string; port: number } | { kind: 'ip'; ip: string; port: number };

/** Checked before waiting for the source, so a malformed request fails at once. */
function parseTarget(spec: TrafficSpec, clusterDomain: string): Target {
  const target = spec.target;
  if (target?.$case === 'authority') {
    const authority = parseAuthority(target.value, clusterDomain, true);
    return authority.kind === 'service'
      ? { kind: 'service', namespace: authority.namespace, service: authority.service, port: authority.port }
      : { kind: 'ip', ip: authority.ip, port: authority.port };
  }
  if (target?.$case === 'addr') {
    const ip = fromIpAddress(target.value.ip);
    const port = target.value.port;
    if (ip === undefined || !(port >= 1 && port <= 65535)) throw new DestinationError('DST_BAD_TARGET', 'TrafficSpec.addr needs an IP address and a port from 1 to 65535');
    return { kind: 'ip', ip, port };
  }
  throw new DestinationError('DST_BAD_TARGET', 'TrafficSpec needs a target: authority (<service>.<namespace>.svc.<domain>:<port>) or addr');
}

function clientNamespace(spec: TrafficSpec, logger: Logger): string | undefined {
  const parsed = parseContextToken(spec.sourceWorkload);
  if (parsed.ok) return parsed.token.ns;
  logger.debug({ reason: parsed.reason }, 'ignoring unreadable source_workload');
  return undefined;
}

/** A cluster IP stands for its Service; any other address has no outbound policy here (NOT_FOUND). */
function resolve(target: Target, spec: TrafficSpec, deps: PolicyServiceDeps): PolicyRequest {
  const client = clientNamespace(spec, deps.logger);
  if (target.kind === 'service') return { namespace: target.namespace, service: target.service, port: target.port, clientNamespace: client };
  const wanted = JSON.stringify(toIpAddress(target.ip));
  const service = deps.policies.serviceByClusterIp((ip) => JSON.stringify(toIpAddress(ip)) === wanted);
  if (!service) throw new DestinationError('DST_NOT_FOUND', `no Service has cluster IP ${target.ip}`);
  return { namespace: namespaceOf(service), service: service.metadata.name, port: target.port, clientNamespace: client };
}

/** OutboundPolicies.Get and Watch; Watch streams share the watcher's views and have a bounded backlog. */
export function createPolicyHandlers(deps: PolicyServiceDeps, registry: StreamRegistry): UntypedServiceImplementation {
  const get = async (call: ServerUnaryCall<TrafficSpec, OutboundPolicy>, callback: sendUnaryData<OutboundPolicy>) => {
    try {
      const target = parseTarget(call.request, deps.clusterDomain);
      await deps.ready;
      const policy = deps.policies.current(resolve(target, call.request, deps));
      deps.metrics.policySent();
      callback(null, policy);
    } catch (err) {
      callback(toGrpcStatus(err));
    }
  };

  const watch = async (call: ServerWritableStream<TrafficSpec, OutboundPolicy>) => {
    const teardowns: (() => void)[] = [];
    const stream = new BoundedStream<OutboundPolicy>(call, {
      limit: deps.streamQueueLimit,
      onOverflow: () => {
        deps.metrics.overflow('outbound_watch');
        deps.logger.warn({ method: 'outbound_watch' }, 'stream overflowed its queue; closed with RESOURCE_EXHAUSTED');
      },
      onSent: () => deps.metrics.policySent(),
      onClose: () => {
        registry.delete(stream as BoundedStream<unknown>);
        for (const teardown of teardowns.splice(0)) teardown();
      },
    });
    deps.metrics.streamOpened('outbound_watch');
    if (!registry.add(stream as BoundedStream<unknown>)) stream.end();
    try {
      const target = parseTarget(call.request, deps.clusterDomain);
      await deps.ready;
      if (stream.isClosed) return;
      const sub = deps.policies.subscribe(resolve(target, call.request, deps), (policy) => stream.send(policy));
      if (stream.isClosed) sub.unsubscribe();
      else teardowns.push(() => sub.unsubscribe());
      stream.send(sub.initial);
    } catch (err) {
      stream.fail(err);
    }
  };

  return { get, watch };
}
