import {
  DEFAULT_CLUSTER_NETWORKS,
  DEFAULT_POLICY_NAMES,
  defaultPolicy,
  parseCidrList,
  parseRateLimitJson,
  PolicyError,
  type InboundPolicy,
} from '@trellis/policy';
import { type Env, readBoolean, readOptionalString, readString } from './env';
import { ConfigError } from './errors';

/** Where the inbound policy comes from, and what stands in until (or instead of) a policy server. */
export interface InboundPolicyConfig {
  /** `host:port` of InboundServerPolicies (the destination's policy port); undefined: the static policy only. */
  readonly addr: string | undefined;
  /** Linkerd's workload token: JSON `{"ns","pod"}`. */
  readonly workload: string;
  /** The policy in force until the policy server sends one, and for good without a policy server. */
  readonly fallback: InboundPolicy;
  /** Denied requests are let through and counted under the audit authorization. */
  readonly audit: boolean;
}

/** Linkerd's policy port on the destination (InboundServerPolicies and OutboundPolicies). */
export const DEFAULT_POLICY_PORT = 8090;

export const INBOUND_POLICY_ENV = [
  { name: 'TRELLIS_POLICY_ADDR', fallback: '(none: static policy)', meaning: `InboundServerPolicies address, host:port (the destination's policy port, ${DEFAULT_POLICY_PORT})` },
  { name: 'TRELLIS_DEFAULT_INBOUND_POLICY', fallback: 'all-unauthenticated', meaning: `policy without a policy server or before its first answer: ${DEFAULT_POLICY_NAMES.join(', ')}` },
  { name: 'TRELLIS_CLUSTER_NETWORKS', fallback: DEFAULT_CLUSTER_NETWORKS, meaning: 'CIDRs of the cluster-* default policies, comma-separated' },
  { name: 'TRELLIS_INBOUND_RATE_LIMIT', fallback: '(none)', meaning: 'HTTP local rate limit of the static policy, JSON: {"total":{"requestsPerSecond":N},"identity":{...},"overrides":[{"requestsPerSecond":N,"clients":[ids]}]}' },
  { name: 'TRELLIS_INBOUND_POLICY_AUDIT', fallback: 'false', meaning: 'audit mode: let denied requests through, counted under authz_name="audit"' },
  { name: 'TRELLIS_ACCESS_LOG', fallback: 'false', meaning: 'one Envoy-style JSON access-log line per request, both directions' },
] as const;

function asConfigError<T>(variable: string, read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof PolicyError) throw new ConfigError(variable, err.message, { cause: err });
    throw err;
  }
}

/** Reads and validates the policy settings; throws ConfigError naming the first bad variable. */
export function readInboundPolicyConfig(env: Env, namespace: string, pod: string): InboundPolicyConfig {
  const addr = readOptionalString(env, 'TRELLIS_POLICY_ADDR');
  if (addr !== undefined && !/^[^\s:]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(addr)) {
    throw new ConfigError('TRELLIS_POLICY_ADDR', `"${addr}" is not host:port`);
  }
  const networks = asConfigError('TRELLIS_CLUSTER_NETWORKS', () => parseCidrList(readString(env, 'TRELLIS_CLUSTER_NETWORKS', DEFAULT_CLUSTER_NETWORKS)));
  const name = readString(env, 'TRELLIS_DEFAULT_INBOUND_POLICY', 'all-unauthenticated');
  const base = asConfigError('TRELLIS_DEFAULT_INBOUND_POLICY', () => defaultPolicy(name, networks));
  const rateLimitText = readOptionalString(env, 'TRELLIS_INBOUND_RATE_LIMIT');
  const rateLimit =
    rateLimitText === undefined
      ? undefined
      : asConfigError('TRELLIS_INBOUND_RATE_LIMIT', () => parseRateLimitJson(rateLimitText, { group: '', kind: 'default', name: 'static' }));
  return {
    addr,
    workload: JSON.stringify({ ns: namespace, pod }),
    fallback: { ...base, rateLimit },
    audit: readBoolean(env, 'TRELLIS_INBOUND_POLICY_AUDIT', false),
  };
}

export function readAccessLog(env: Env): boolean {
  return readBoolean(env, 'TRELLIS_ACCESS_LOG', false);
}
