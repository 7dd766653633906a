import type { Logger } from 'pino';
import { pino } from 'pino';
import type { Registry } from 'prom-client';
import { DEFAULT_CLUSTER_DOMAIN, DEFAULT_DESTINATION_ADDR, MAX_GRPC_ADDRESSES } from './defaults';
import { DestinationConnection } from './destination';
import { ClientError } from './errors';
import { registerTrellisBalancer, setBalancerContext } from './grpc-balancer';
import { registerTrellisResolver, setResolverContext } from './grpc-resolver';
import { ClientMetrics, type EndpointSeries } from './metrics';

export interface TrellisGrpcOptions {
  /** `host:port` of the destination service; default $TRELLIS_DESTINATION_ADDR, else 127.0.0.1:8086. */
  destination?: string;
  clusterDomain?: string;
  contextToken?: string;
  /** Where the outbound metrics go; default prom-client's global registry. */
  registry?: Registry;
  logger?: Logger;
  clock?: { now(): number };
  random?: () => number;
  destinationConnectTimeoutMs?: number;
}


/** The registration made by registerTrellisGrpc; `close()` ends its discovery streams (idempotent). */
export interface TrellisGrpc {
  /** Whether targets are resolved by the mesh or, the destination being unreachable at start, by DNS. */
  readonly mode: 'connecting' | 'mesh' | 'dns' | 'closed';
  close(): void;
}

let active: { close(): void } | undefined;

/**
 * Registers, process-wide as grpc-js requires, the `trellis` resolver scheme and the
 * `trellis_p2c_peak_ewma` load-balancing policy, with one connection to the destination service.
 * Channels for `trellis:///svc.ns.svc.cluster.local:port` then resolve through `Get` and balance
 * each call with P2C over peak-EWMA. Registering again replaces (and closes) the previous one.
 */
export function registerTrellisGrpc(opts: TrellisGrpcOptions = {}): TrellisGrpc {
  const address = opts.destination ?? process.env['TRELLIS_DESTINATION_ADDR'] ?? DEFAULT_DESTINATION_ADDR;
  if (!/^[^\s/]+:\d{1,5}$/.test(address)) throw new ClientError('INVALID_OPTION', `destination must be host:port, got ${JSON.stringify(address)}`);
  active?.close();
  const random = opts.random ?? Math.random;
  const destination = new DestinationConnection({
    address,
    contextToken: opts.contextToken ?? '',
    random,
    logger: opts.logger ?? pino({ level: 'silent' }),
    ...(opts.destinationConnectTimeoutMs === undefined ? {} : { connectTimeoutMs: opts.destinationConnectTimeoutMs }),
  });
  const discovery = destination.discovery;
  const metrics = new ClientMetrics(
    { backends: () => [], discoveryStreams: () => discovery.stateCounts(), reconnects: (kind) => discovery.reconnectCount(kind) },
    opts.registry,
  );
  const addresses = new Map<string, { authority: string; labels: Readonly<Record<string, string>> }>();
  const series = new Map<string, EndpointSeries>();
  setResolverContext({
    destination,
    clusterDomain: opts.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN,
    onAddress: (id, authority, labels) => {
      if (addresses.size < MAX_GRPC_ADDRESSES || addresses.has(id)) addresses.set(id, { authority, labels });
    },
  });
  setBalancerContext({
    clock: opts.clock ?? { now: () => performance.now() },
    random,
    series: (id) => {
      const known = addresses.get(id);
      const key = `${known?.authority ?? ''} ${id}`;
      let s = series.get(key);
      if (s === undefined) {
        s = metrics.endpoint(known?.authority ?? id, known?.labels ?? {});
        if (series.size < MAX_GRPC_ADDRESSES) series.set(key, s);
      }
      return s;
    },
  });
  registerTrellisResolver();
  registerTrellisBalancer();
  let closed = false;
  const registration = {
    get mode() {
      return destination.mode;
    },
    close() {
      if (closed) return;
      closed = true;
      destination.close();
      metrics.close();
      if (active === registration) {
        active = undefined;
        setResolverContext(undefined);
        setBalancerContext(undefined);
      }
    },
  };
  active = registration;
  return registration;
}
