import { hostname } from 'node:os';
import { BALANCER_KINDS, type BalancerKind } from '@trellis/balance';
import { type Env, readChoice, readInteger, readOptionalString, readString } from '../config/env';
import { ConfigError } from '../config/errors';
import { FAIL_FAST_TIMEOUT_MS } from './fail-fast';

/** Linkerd: the outbound proxy listens here. */
export const DEFAULT_OUTBOUND_ADDR = '127.0.0.1:4140';
/** Linkerd: the destination service's gRPC port. */
export const DEFAULT_DESTINATION_ADDR = '127.0.0.1:8086';
/** Linkerd: the policy controller serves OutboundPolicies on this port (of the destination's host). */
export const DEFAULT_POLICY_PORT = 8090;
/** TRELLIS_POLICY_PORT value that turns the OutboundPolicies client off (routes come from GetProfile only). */
export const POLICY_DISABLED = 'off';
/** Kubernetes' default cluster domain. */
export const DEFAULT_CLUSTER_DOMAIN = 'cluster.local';
/** linkerd2-proxy: peak-EWMA P2C is the default balancer. */
export const DEFAULT_BALANCER: BalancerKind = 'peak-ewma';
/** TRELLIS_OUTBOUND_ADDR value that turns the outbound role off. */
export const OUTBOUND_DISABLED = 'off';

export interface OutboundConfig {
  /** Undefined when the outbound role is off. */
  listen: { host: string; port: number } | undefined;
  destinationAddr: string;
  /** OutboundPolicies `host:port` (the destination's host); undefined when turned off. */
  policyAddr: string | undefined;
  autoscalerAddr: string | undefined;
  clusterDomain: string;
  namespace: string;
  podName: string;
  balancer: BalancerKind;
  failFastMs: number;
}

/** Every variable the outbound role reads, for --help and docs/proxy-outbound.md. */
export const OUTBOUND_ENV = [
  { name: 'TRELLIS_OUTBOUND_ADDR', fallback: DEFAULT_OUTBOUND_ADDR, meaning: `outbound listener host:port (port 0: any free port; "${OUTBOUND_DISABLED}": no outbound role)` },
  { name: 'TRELLIS_DESTINATION_ADDR', fallback: DEFAULT_DESTINATION_ADDR, meaning: 'destination service gRPC host:port' },
  { name: 'TRELLIS_POLICY_PORT', fallback: String(DEFAULT_POLICY_PORT), meaning: `OutboundPolicies port on the destination's host (HTTPRoute/GRPCRoute); "${POLICY_DISABLED}": GetProfile only` },
  { name: 'TRELLIS_AUTOSCALER_ADDR', fallback: '(none)', meaning: 'autoscaler host:port for scale-from-zero pokes; unset: no pokes' },
  { name: 'TRELLIS_CLUSTER_DOMAIN', fallback: DEFAULT_CLUSTER_DOMAIN, meaning: 'cluster domain used to complete service names' },
  { name: 'TRELLIS_NAMESPACE', fallback: 'SERVING_NAMESPACE', meaning: "this pod's namespace: completes one-label names, sent as context token" },
  { name: 'SERVING_POD', fallback: 'hostname', meaning: "this pod's name, sent in autoscaler pokes" },
  { name: 'TRELLIS_OUTBOUND_BALANCER', fallback: DEFAULT_BALANCER, meaning: `balancer of backends whose Service names none (balancer.trellis.io/algorithm): ${BALANCER_KINDS.join(', ')}` },
  { name: 'TRELLIS_OUTBOUND_FAILFAST_MS', fallback: String(FAIL_FAST_TIMEOUT_MS), meaning: 'time without a ready endpoint before 503 fail-fast, ms' },
] as const;

const HOST_PORT = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/;

function readHostPort(env: Env, name: string, fallback: string, allowPortZero: boolean): { host: string; port: number } {
  const value = readString(env, name, fallback);
  const m = HOST_PORT.exec(value);
  const port = Number(m?.[3]);
  if (m === null || port > 65_535 || (port === 0 && !allowPortZero)) {
    throw new ConfigError(name, `"${value}" is not host:port (e.g. 127.0.0.1:4140 or [::1]:4140)`);
  }
  return { host: (m[1] ?? m[2] ?? '').toLowerCase(), port };
}

function formatHostPort(a: { host: string; port: number }): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

export function loadOutboundConfig(env: Env): OutboundConfig {
  const addr = readString(env, 'TRELLIS_OUTBOUND_ADDR', DEFAULT_OUTBOUND_ADDR);
  const listen = addr === OUTBOUND_DISABLED ? undefined : readHostPort(env, 'TRELLIS_OUTBOUND_ADDR', DEFAULT_OUTBOUND_ADDR, true);
  const destination = readHostPort(env, 'TRELLIS_DESTINATION_ADDR', DEFAULT_DESTINATION_ADDR, false);
  const policyPort = readString(env, 'TRELLIS_POLICY_PORT', String(DEFAULT_POLICY_PORT));
  const autoscaler = readOptionalString(env, 'TRELLIS_AUTOSCALER_ADDR');
  const clusterDomain = readString(env, 'TRELLIS_CLUSTER_DOMAIN', DEFAULT_CLUSTER_DOMAIN).replace(/\.$/, '');
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(clusterDomain)) {
    throw new ConfigError('TRELLIS_CLUSTER_DOMAIN', `"${clusterDomain}" is not a DNS domain`);
  }
  return {
    listen,
    destinationAddr: formatHostPort(destination),
    policyAddr: policyPort === POLICY_DISABLED ? undefined : formatHostPort({ host: destination.host, port: readInteger(env, 'TRELLIS_POLICY_PORT', DEFAULT_POLICY_PORT, 1, 65_535) }),
    autoscalerAddr: autoscaler === undefined ? undefined : formatHostPort(readHostPort(env, 'TRELLIS_AUTOSCALER_ADDR', '', false)),
    clusterDomain,
    namespace: readOptionalString(env, 'TRELLIS_NAMESPACE') ?? readOptionalString(env, 'SERVING_NAMESPACE') ?? '',
    podName: readOptionalString(env, 'SERVING_POD') ?? hostname(),
    balancer: readChoice(env, 'TRELLIS_OUTBOUND_BALANCER', DEFAULT_BALANCER, BALANCER_KINDS),
    failFastMs: readInteger(env, 'TRELLIS_OUTBOUND_FAILFAST_MS', FAIL_FAST_TIMEOUT_MS, 1, 600_000),
  };
}
