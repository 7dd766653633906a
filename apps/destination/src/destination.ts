import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import type { Source } from '@trellis/kube';
import type { Logger } from 'pino';
import { Subscription, filter, firstValueFrom } from 'rxjs';
import { createAdminServer } from './admin-server';
import { parseCidrList } from './cidr';
import { startMeshDashboard, type DashboardOptions } from './dashboard';
import { DEFAULT_CLUSTER_NETWORKS, DEFAULT_IDENTITY_TRUST_DOMAIN, DEFAULT_INBOUND_POLICY, SHUTDOWN_GRACE_MS } from './defaults';
import { EndpointWatcher } from './endpoint-watcher';
import { DESTINATION_SERVICE, StreamRegistry, createDestinationHandlers } from './grpc-service';
import type { Cidr } from './cidr';
import { INBOUND_SERVER_POLICIES_SERVICE, createInboundHandlers } from './inbound-grpc-service';
import { InboundWatcher } from './inbound-watcher';
import { DestinationMetrics } from './metrics';
import { OUTBOUND_POLICIES_SERVICE, createPolicyHandlers } from './policy-grpc-service';
import type { DefaultInboundPolicy } from './policy-schema';
import { PolicyWatcher } from './policy-watcher';
import { PodIndex } from './pod-index';
import { ProfileWatcher } from './profile-watcher';

export interface DestinationOptions {
  source: Source;
  logger: Logger;
  host: string;
  grpcPort: number;
  /** OutboundPolicies (Get, Watch) and InboundServerPolicies (GetPort, WatchPort) on a second gRPC server (DESIGN.md: 8090). */
  policyPort: number;
  adminPort: number;
  clusterDomain: string;
  streamQueueLimit: number;
  /** Set: endpoints of meshed pods carry their workload identity in this trust domain (mTLS between proxies). */
  identityTrustDomain?: string;
  /** The inbound policy of pod ports no Server selects (default all-unauthenticated). */
  defaultInboundPolicy?: DefaultInboundPolicy;
  /** The networks cluster-* policies admit (default Linkerd's clusterNetworks). */
  clusterNetworks?: Cidr[];
  /** Write route acceptance into HTTPRoute/GRPCRoute status.parents (needs a source that can, and RBAC). */
  writeRouteStatus?: boolean;
  /** The live dashboard on the admin port (/dashboard/): where the autoscaler and proxies outside the source are. */
  dashboard?: Omit<DashboardOptions, 'onErrors'>;
}

export interface RunningDestination {
  grpcPort: number;
  policyPort: number;
  adminPort: number;
  metrics: DestinationMetrics;
  /** Ends every stream with OK, stops the servers and the watchers. Idempotent; the source is the caller's. */
  close(): Promise<void>;
}

function defaultClusterNetworks(): Cidr[] {
  const parsed = parseCidrList(DEFAULT_CLUSTER_NETWORKS);
  if (!parsed.ok) throw new Error(`DEFAULT_CLUSTER_NETWORKS: ${parsed.reason}`);
  return parsed.cidrs;
}

function bindGrpc(server: Server, host: string, port: number): Promise<number> {
  const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  return new Promise((resolve, reject) => {
    server.bindAsync(address, ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound)));
  });
}

function shutdownGrpc(server: Server): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, SHUTDOWN_GRACE_MS);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Composes the destination service: source → watchers → gRPC streams (Destination; OutboundPolicies and InboundServerPolicies), plus the admin server. */
export async function startDestination(options: DestinationOptions): Promise<RunningDestination> {
  const { source, logger } = options;
  const metrics = new DestinationMetrics(source);
  const pods = new PodIndex(source.pods);
  const subscriptions = new Subscription();
  // The pod index first: watchers recompute later (batched), so they read an index that is current.
  subscriptions.add(source.pods.events$.subscribe((event) => pods.apply(event)));
  const endpoints = new EndpointWatcher(
    source,
    pods,
    { subscribersChanged: (namespace, service, count) => metrics.setSubscribers(namespace, service, count) },
    options.identityTrustDomain,
  );
  const profiles = new ProfileWatcher(source, pods, options.clusterDomain, {
    invalid: (namespace, name, reason) => {
      metrics.invalidProfile(namespace);
      logger.warn({ namespace, name, reason }, 'ServiceProfile rejected; the last valid version stays in force');
    },
    invalidAnnotation: (namespace, service, { annotation, reason }) => {
      metrics.invalidServiceAnnotation(namespace, service, annotation);
      logger.warn({ namespace, service, annotation, reason }, 'Service annotation ignored; its default applies');
    },
  }, options.identityTrustDomain);
  const policies = new PolicyWatcher(source, profiles, options.clusterDomain, {
    invalidRoute: (kind, namespace, name, reason, message) => {
      metrics.invalidRoute(kind, reason);
      logger.warn({ kind, namespace, name, reason, message }, 'route not accepted; the other routes keep working');
    },
    invalidAnnotation: (kind, namespace, name, { annotation, reason }) => {
      if (kind === 'Service') metrics.invalidServiceAnnotation(namespace, name, annotation);
      logger.warn({ kind, namespace, name, annotation, reason }, 'Linkerd annotation ignored; its default applies');
    },
    statusWriteFailed: (kind, namespace, name, reason) => {
      logger.warn({ kind, namespace, name, reason }, 'route status not written; retried at the next change');
    },
  }, { ...(options.writeRouteStatus && source.routeStatus ? { writer: source.routeStatus } : {}), now: () => new Date() });
  const inbound = new InboundWatcher(
    source,
    pods,
    {
      defaultPolicy: options.defaultInboundPolicy ?? DEFAULT_INBOUND_POLICY,
      clusterNetworks: options.clusterNetworks ?? defaultClusterNetworks(),
      trustDomain: options.identityTrustDomain ?? DEFAULT_IDENTITY_TRUST_DOMAIN,
    },
    {
      invalidPolicy: (kind, namespace, name, reason, message) => {
        metrics.invalidPolicy(kind, reason);
        logger.warn({ kind, namespace, name, reason, message }, 'policy rejected; the last valid version stays in force');
      },
    },
  );
  subscriptions.add(
    source.errors$.subscribe((error) => {
      metrics.sourceError(error.source);
      logger.warn({ ...error }, 'source problem');
    }),
  );
  let synced = false;
  subscriptions.add(source.synced$.subscribe((value) => (synced = value)));
  const ready = firstValueFrom(source.synced$.pipe(filter(Boolean))).then(() => {
    pods.load();
    profiles.load();
    policies.load();
    inbound.load();
    logger.info({}, 'source synced');
  });
  ready.catch(() => undefined);

  const registry = new StreamRegistry();
  const grpc = new Server();
  grpc.addService(
    DESTINATION_SERVICE,
    createDestinationHandlers({ endpoints, profiles, metrics, logger, clusterDomain: options.clusterDomain, streamQueueLimit: options.streamQueueLimit, ready }, registry),
  );
  const policyGrpc = new Server();
  policyGrpc.addService(
    OUTBOUND_POLICIES_SERVICE,
    createPolicyHandlers({ policies, metrics, logger, clusterDomain: options.clusterDomain, streamQueueLimit: options.streamQueueLimit, ready }, registry),
  );
  policyGrpc.addService(
    INBOUND_SERVER_POLICIES_SERVICE,
    createInboundHandlers({ inbound, metrics, logger, streamQueueLimit: options.streamQueueLimit, ready }, registry),
  );
  const dashboard = options.dashboard && startMeshDashboard(source, { ...options.dashboard, onErrors: (errors) => logger.debug({ errors }, 'dashboard: proxies not read') });
  const admin = createAdminServer({ registry: metrics.registry, isReady: () => synced, ...(dashboard ? { dashboard } : {}) });
  let grpcPort: number;
  let policyPort: number;
  try {
    grpcPort = await bindGrpc(grpc, options.host, options.grpcPort);
    policyPort = await bindGrpc(policyGrpc, options.host, options.policyPort);
    admin.listen(options.adminPort, options.host);
    await once(admin, 'listening');
  } catch (err) {
    grpc.forceShutdown();
    policyGrpc.forceShutdown();
    admin.close();
    dashboard?.refresher.close();
    subscriptions.unsubscribe();
    endpoints.close();
    profiles.close();
    policies.close();
    inbound.close();
    throw err;
  }
  const adminPort = (admin.address() as AddressInfo).port;

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      registry.endAll();
      await Promise.all([shutdownGrpc(grpc), shutdownGrpc(policyGrpc)]);
      admin.closeAllConnections();
      await new Promise<void>((resolve) => admin.close(() => resolve()));
      dashboard?.refresher.close();
      subscriptions.unsubscribe();
      endpoints.close();
      profiles.close();
      policies.close();
      inbound.close();
    })();
    return closing;
  };
  return { grpcPort, policyPort, adminPort, metrics, close };
}
