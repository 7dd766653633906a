import { parseArgs } from 'node:util';
import { parseSourceSpec } from '@trellis/kube';
import type { Cidr } from './cidr';
import { parseCidrList } from './cidr';
import {
  DEFAULT_ADMIN_PORT,
  DEFAULT_CLUSTER_DOMAIN,
  DEFAULT_CLUSTER_NETWORKS,
  DEFAULT_INBOUND_POLICY,
  DEFAULT_GRPC_PORT,
  DEFAULT_POLICY_PORT,
  DEFAULT_STREAM_QUEUE_LIMIT_MESSAGES,
  MAX_POLICY_NETWORKS,
} from './defaults';
import { DestinationError } from './errors';
import type { DefaultInboundPolicy } from './policy-schema';
import { DEFAULT_INBOUND_POLICIES } from './policy-schema';

// Bind address for both servers: every interface, as a control plane in a cluster needs.
const DEFAULT_LISTEN_HOST = '0.0.0.0';
const DEFAULT_LOG_LEVEL = 'info';
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):[0-9]{1,5}$/;
const DOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export type LogLevel = (typeof LOG_LEVELS)[number];

export interface CliOptions {
  source: string;
  grpcPort: number;
  policyPort: number;
  adminPort: number;
  listenHost: string;
  clusterDomain: string;
  logLevel: LogLevel;
  streamQueueLimit: number;
  /** Set: meshed pods' endpoints carry their identity in this trust domain. */
  identityTrustDomain: string | undefined;
  writeRouteStatus: boolean;
  /** The autoscaler's admin address, for the dashboard's decisions. */
  dashboardAutoscaler: string | undefined;
  /** Proxies' metrics addresses the dashboard reads besides the source's meshed pods. */
  dashboardMetrics: string[];
  defaultInboundPolicy: DefaultInboundPolicy;
  clusterNetworks: Cidr[];
}

export type CliResult = { kind: 'run'; options: CliOptions } | { kind: 'help'; text: string };

export const USAGE = `Usage: destination [flags]

Trellis destination service: Linkerd's Destination API (Get, GetProfile), OutboundPolicies API (Get, Watch) and
InboundServerPolicies API (GetPort, WatchPort) over gRPC.

Flags:
  --source kubernetes|fs:<dir>   where Services, EndpointSlices, Pods, ServiceProfiles, HTTPRoutes, GRPCRoutes and
                                 policy.linkerd.io resources come from (default kubernetes)
  --grpc-port <port>             Destination gRPC port, 0 for an ephemeral one (default ${DEFAULT_GRPC_PORT})
  --policy-port <port>           OutboundPolicies and InboundServerPolicies gRPC port, 0 for an ephemeral one (default ${DEFAULT_POLICY_PORT}; ephemeral
                                 when --grpc-port is given without it, so chosen ports never take ${DEFAULT_POLICY_PORT} by surprise)
  --admin-port <port>            admin HTTP port for /metrics, /ready, /live; 0 for ephemeral (default ${DEFAULT_ADMIN_PORT})
  --listen-host <address>        address both servers bind (default ${DEFAULT_LISTEN_HOST})
  --cluster-domain <domain>      cluster DNS domain of authorities (default ${DEFAULT_CLUSTER_DOMAIN})
  --identity-trust-domain <d>    send meshed pods' workload identities (<sa>.<ns>.serviceaccount.identity.<d>) so
                                 proxies use mutual TLS to them (default: off, plaintext)
  --log-level <level>            ${LOG_LEVELS.join('|')} (default ${DEFAULT_LOG_LEVEL})
  --stream-queue-limit <n>       messages a stream may fall behind before RESOURCE_EXHAUSTED (default ${DEFAULT_STREAM_QUEUE_LIMIT_MESSAGES})
  --default-inbound-policy <p>   policy of pod ports no Server selects, unless the pod's
                                 config.linkerd.io/default-inbound-policy annotation names another:
                                 ${DEFAULT_INBOUND_POLICIES.join('|')} (default ${DEFAULT_INBOUND_POLICY})
  --cluster-networks <cidrs>     comma-separated networks the cluster-* policies admit
                                 (default ${DEFAULT_CLUSTER_NETWORKS})
  --write-route-status           write route acceptance to HTTPRoute/GRPCRoute status.parents (kubernetes source;
                                 needs patch on httproutes/status and grpcroutes/status)
  --dashboard-autoscaler <h:p>   autoscaler admin address whose /metrics the dashboard (/dashboard/ on the admin
                                 port) shows decisions from (default: none)
  --dashboard-metrics <h:p>      a proxy metrics address the dashboard reads besides every meshed pod's :9091
                                 (repeatable; local mode's outbound proxy)
  --help                         print this help
`;

function flagError(message: string): DestinationError {
  return new DestinationError('DST_BAD_FLAG', `${message} (run with --help for usage)`);
}

function integer(name: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const value = /^[0-9]+$/.test(text) ? Number(text) : NaN;
  if (!(value >= min && value <= max)) throw flagError(`--${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(text)}`);
  return value;
}

/** Parses and validates the command line; throws DestinationError DST_BAD_FLAG with a clear message. */
export function parseCli(argv: readonly string[]): CliResult {
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        source: { type: 'string' },
        'grpc-port': { type: 'string' },
        'policy-port': { type: 'string' },
        'admin-port': { type: 'string' },
        'listen-host': { type: 'string' },
        'cluster-domain': { type: 'string' },
        'identity-trust-domain': { type: 'string' },
        'log-level': { type: 'string' },
        'stream-queue-limit': { type: 'string' },
        'write-route-status': { type: 'boolean' },
        'dashboard-autoscaler': { type: 'string' },
        'dashboard-metrics': { type: 'string', multiple: true },
        'default-inbound-policy': { type: 'string' },
        'cluster-networks': { type: 'string' },
        help: { type: 'boolean' },
      },
    }));
  } catch (err) {
    throw flagError((err as Error).message);
  }
  if (values.help) return { kind: 'help', text: USAGE };
  const str = (name: string) => values[name] as string | undefined;
  const source = str('source') ?? 'kubernetes';
  try {
    parseSourceSpec(source);
  } catch (err) {
    throw flagError(`--source: ${(err as Error).message}`);
  }
  const clusterDomain = (str('cluster-domain') ?? DEFAULT_CLUSTER_DOMAIN).toLowerCase();
  if (!DOMAIN.test(clusterDomain) || clusterDomain.length > 253) {
    throw flagError(`--cluster-domain must be a DNS name such as ${DEFAULT_CLUSTER_DOMAIN}, got ${JSON.stringify(clusterDomain)}`);
  }
  const identityTrustDomain = str('identity-trust-domain')?.toLowerCase();
  if (identityTrustDomain !== undefined && (!DOMAIN.test(identityTrustDomain) || identityTrustDomain.length > 253)) {
    throw flagError(`--identity-trust-domain must be a DNS name such as ${DEFAULT_CLUSTER_DOMAIN}, got ${JSON.stringify(identityTrustDomain)}`);
  }
  const grpcPort = integer('grpc-port', str('grpc-port'), DEFAULT_GRPC_PORT, 0, 65535);
  const policyPort = integer('policy-port', str('policy-port'), str('grpc-port') === undefined ? DEFAULT_POLICY_PORT : 0, 0, 65535);
  if (policyPort !== 0 && policyPort === grpcPort) throw flagError(`--policy-port must differ from --grpc-port (both ${grpcPort})`);
  const dashboardAutoscaler = str('dashboard-autoscaler');
  const dashboardMetrics = (values['dashboard-metrics'] as string[] | undefined) ?? [];
  for (const [flag, address] of [...dashboardMetrics.map((m) => ['dashboard-metrics', m]), ...(dashboardAutoscaler === undefined ? [] : [['dashboard-autoscaler', dashboardAutoscaler]])]) {
    if (!HOST_PORT.test(address ?? '')) throw flagError(`--${flag} must be host:port, got ${JSON.stringify(address)}`);
  }
  const logLevel = str('log-level') ?? DEFAULT_LOG_LEVEL;
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw flagError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(logLevel)}`);
  }
  const defaultInboundPolicy = str('default-inbound-policy') ?? DEFAULT_INBOUND_POLICY;
  if (!(DEFAULT_INBOUND_POLICIES as readonly string[]).includes(defaultInboundPolicy)) {
    throw flagError(`--default-inbound-policy must be one of ${DEFAULT_INBOUND_POLICIES.join(', ')}, got ${JSON.stringify(defaultInboundPolicy)}`);
  }
  const networks = parseCidrList(str('cluster-networks') ?? DEFAULT_CLUSTER_NETWORKS);
  if (!networks.ok) throw flagError(`--cluster-networks: ${networks.reason}`);
  if (networks.cidrs.length > MAX_POLICY_NETWORKS) throw flagError(`--cluster-networks: at most ${MAX_POLICY_NETWORKS} networks`);
  return {
    kind: 'run',
    options: {
      source,
      grpcPort,
      policyPort,
      adminPort: integer('admin-port', str('admin-port'), DEFAULT_ADMIN_PORT, 0, 65535),
      listenHost: str('listen-host') ?? DEFAULT_LISTEN_HOST,
      clusterDomain,
      identityTrustDomain,
      logLevel: logLevel as LogLevel,
      streamQueueLimit: integer('stream-queue-limit', str('stream-queue-limit'), DEFAULT_STREAM_QUEUE_LIMIT_MESSAGES, 1, 1_000_000),
      writeRouteStatus: values['write-route-status'] === true,
      dashboardAutoscaler,
      dashboardMetrics,
      defaultInboundPolicy: defaultInboundPolicy as DefaultInboundPolicy,
      clusterNetworks: networks.cidrs,
    },
  };
}
