// Every default and limit of the client, with its unit and its source.
import {
  DEFAULT_ROUTE_TIMEOUT_MS as ROUTES_DEFAULT_ROUTE_TIMEOUT_MS,
  MAX_REPLAYABLE_BODY_BYTES as ROUTES_MAX_REPLAYABLE_BODY_BYTES,
} from '@trellis/routes';

/** Linkerd: the destination service's address when none is given (the proxy's TRELLIS_DESTINATION_ADDR). */
export const DEFAULT_DESTINATION_ADDR = '127.0.0.1:8086';
/** Kubernetes' default cluster domain. */
export const DEFAULT_CLUSTER_DOMAIN = 'cluster.local';
/** RFC 9110: the default port of the `http` scheme. */
export const DEFAULT_HTTP_PORT = 80;
/** linkerd2-proxy: a request for a service with no endpoint to pick fails after this long (ms). */
export const FAIL_FAST_TIMEOUT_MS = 3_000;
/** linkerd2-proxy: a request waits this long (ms) at most for a service's first profile, then goes on without. */
export const PROFILE_WAIT_MS = 3_000;
/** Ours: how long (ms) the first connection to the destination service may take before the client falls back to DNS. */
export const DESTINATION_CONNECT_TIMEOUT_MS = 1_000;
/** Envoy (circuit breaker max_connections): connections per endpoint pool. */
export const MAX_CONNECTIONS_PER_ENDPOINT = 1_024;
/** Ours: distinct services one agent follows; a request for one more fails with TOO_MANY_SERVICES. */
export const MAX_SERVICES = 1_000;
/** Ours, as the proxy: a request that never left is sent again at most this many times, each to a fresh pick. */
export const MAX_UNSENT_RETRIES = 3;
/** Linkerd: request bodies up to 64 KiB (bytes) are kept for retries; larger ones are not retried (@trellis/routes' value). */
export const MAX_REPLAYABLE_BODY_BYTES: number = ROUTES_MAX_REPLAYABLE_BODY_BYTES;
/** Linkerd: a ServiceProfile route without `timeout` times out after 10 s (ms) (@trellis/routes' value). */
export const DEFAULT_ROUTE_TIMEOUT_MS: number = ROUTES_DEFAULT_ROUTE_TIMEOUT_MS;
/** The grpc-js target scheme: `trellis:///svc.ns.svc.cluster.local:port`. */
export const GRPC_SCHEME = 'trellis';
/** The LB policy's name in a gRPC service config (`loadBalancingConfig: [{ trellis_p2c_peak_ewma: {} }]`). */
export const GRPC_LB_POLICY_NAME = 'trellis_p2c_peak_ewma';
/** Ours: addresses whose labels the gRPC side remembers; beyond, new ones are counted under their address. */
export const MAX_GRPC_ADDRESSES = 10_000;
