// Defaults of the destination service. Each names its unit and its source.

// Linkerd destination controller's gRPC port (linkerd2 controller/cmd/destination, -addr :8086).
export const DEFAULT_GRPC_PORT = 8086;
// Linkerd destination controller's admin port (-admin-addr :9996).
export const DEFAULT_ADMIN_PORT = 9996;
// Kubernetes' default cluster domain (kubelet --cluster-domain).
export const DEFAULT_CLUSTER_DOMAIN = 'cluster.local';
// Port implied by an authority without one: HTTP's default (Linkerd's destination does the same).
export const DEFAULT_AUTHORITY_PORT = 80;
// Messages a stream may hold before it is closed with RESOURCE_EXHAUSTED (issue 2).
export const DEFAULT_STREAM_QUEUE_LIMIT_MESSAGES = 100;
// Weight of every endpoint (Linkerd's endpoint translator: defaultWeight = 10000).
export const ENDPOINT_WEIGHT = 10_000;
// Linkerd's default retry budget (controller/api/destination: 20 % ratio, 10 retries/s, 10 s TTL).
export const DEFAULT_RETRY_RATIO = 0.2;
export const DEFAULT_MIN_RETRIES_PER_SECOND = 10;
export const DEFAULT_RETRY_TTL_SECONDS = 10;
// Route timeout when a ServiceProfile route sets none (Linkerd's DefaultRouteTimeout = 10s).
export const DEFAULT_ROUTE_TIMEOUT_MS = 10_000;
// DNS limits (RFC 1035 / RFC 1123): a label is at most 63 characters, a name at most 253.
export const MAX_DNS_LABEL_CHARS = 63;
export const MAX_DNS_NAME_CHARS = 253;
// A GetDestination path longer than this is rejected before any parsing (a name, ':' and a port fit easily).
export const MAX_AUTHORITY_CHARS = 512;
// Context tokens are small JSON objects set by the injector; anything larger is ignored unparsed.
export const MAX_CONTEXT_TOKEN_CHARS = 4096;
// Annotation and container name that mark a pod as running the Trellis proxy (docs/destination.md).
export const PROXY_ANNOTATION = 'trellis.io/proxy';
/** A meshed pod whose proxy runs without identity says so with this annotation set to IDENTITY_DISABLED (Linkerd: linkerd.io/identity-mode). */
export const IDENTITY_ANNOTATION = 'trellis.io/identity';
export const IDENTITY_DISABLED = 'disabled';
/** Kubernetes: a pod without spec.serviceAccountName runs as this ServiceAccount. */
export const DEFAULT_SERVICE_ACCOUNT = 'default';
export const PROXY_ANNOTATION_ENABLED = 'enabled';
export const PROXY_CONTAINER_NAME = 'trellis-proxy';
// Grace given to open streams on shutdown before the gRPC server is forced down.
export const SHUTDOWN_GRACE_MS = 2_000;

// Per-service backend policy (Service annotations, docs/destination.md). Sent for every field the
// annotations leave out once a Service has any of them.
// Envoy: outlier_detection.consecutive_5xx.
export const DEFAULT_OUTLIER_CONSECUTIVE_5XX = 5;
// Envoy: outlier_detection.consecutive_gateway_failure is 5 but enforcing_consecutive_gateway_failure is 0 (off).
export const DEFAULT_OUTLIER_CONSECUTIVE_GATEWAY_ERRORS = 0;
// Envoy: outlier_detection.interval (10 s), in milliseconds.
export const DEFAULT_OUTLIER_INTERVAL_MS = 10_000;
// Envoy: outlier_detection.base_ejection_time (30 s), in milliseconds.
export const DEFAULT_OUTLIER_BASE_EJECTION_MS = 30_000;
// Envoy: outlier_detection.max_ejection_time (300 s, or base_ejection_time when larger), in milliseconds.
export const DEFAULT_OUTLIER_MAX_EJECTION_MS = 300_000;
// Envoy: outlier_detection.max_ejection_percent, in percent of the endpoints.
export const DEFAULT_OUTLIER_MAX_EJECTION_PERCENT = 10;
// Envoy: cluster circuit_breakers thresholds (per priority): connections, pending requests, requests, retries.
export const DEFAULT_CIRCUIT_MAX_CONNECTIONS = 1024;
export const DEFAULT_CIRCUIT_MAX_PENDING_REQUESTS = 1024;
export const DEFAULT_CIRCUIT_MAX_REQUESTS = 1024;
export const DEFAULT_CIRCUIT_MAX_RETRIES = 3;

// OutboundPolicies (docs/routing.md). Linkerd's policy port (linkerd2 policy-controller --grpc-addr :8090).
export const DEFAULT_POLICY_PORT = 8090;
// Backend defaults the Linkerd policy controller sends (policy-controller/grpc outbound): queue of 100
// requests, fail-fast after 3 s unready; peak-EWMA default RTT 30 ms and decay 10 s (linkerd2-proxy's
// balancer defaults, as DESIGN.md lists them).
export const POLICY_QUEUE_CAPACITY = 100;
export const POLICY_FAILFAST_TIMEOUT_MS = 3_000;
export const POLICY_EWMA_DEFAULT_RTT_MS = 30;
export const POLICY_EWMA_DECAY_MS = 10_000;
// Protocol detection timeout of the Detect kind (linkerd2-proxy's and the policy controller's 10 s).
export const POLICY_DETECT_TIMEOUT_MS = 10_000;
// Retry parameters the Linkerd policy controller sends with every route retry (convert_retry): bodies up to
// 64 KiB are replayable; backoff 25 ms to 250 ms with jitter ratio 1.0. One retry unless
// retry.linkerd.io/limit says otherwise (Linkerd's documented default).
export const POLICY_RETRY_MAX_REQUEST_BYTES = 64 * 1024;
export const POLICY_RETRY_MIN_BACKOFF_MS = 25;
export const POLICY_RETRY_MAX_BACKOFF_MS = 250;
export const POLICY_RETRY_JITTER_RATIO = 1.0;
export const POLICY_RETRY_DEFAULT_LIMIT = 1;
// Consecutive-failures accrual when a Service opts in with balancer.linkerd.io/failure-accrual: consecutive
// (Linkerd's circuit-breaking reference): 7 failures, penalty 1 s to 1 min, jitter ratio 0.5.
export const POLICY_ACCRUAL_MAX_FAILURES = 7;
export const POLICY_ACCRUAL_MIN_PENALTY_MS = 1_000;
export const POLICY_ACCRUAL_MAX_PENALTY_MS = 60_000;
export const POLICY_ACCRUAL_JITTER_RATIO = 0.5;
// Weight of a Gateway API backendRef that sets none (Gateway API: weight defaults to 1).
export const GATEWAY_DEFAULT_BACKEND_WEIGHT = 1;
// Longest regular expression a route may carry (ours): keeps hostile input from costing compile time.
export const MAX_ROUTE_REGEX_CHARS = 1024;

// InboundServerPolicies (docs/policy.md).
// Linkerd's default inbound policy (policy-controller --default-policy, proxy.defaultInboundPolicy).
export const DEFAULT_INBOUND_POLICY = 'all-unauthenticated' as const;
// Linkerd's default clusterNetworks (helm values: clusterNetworks), the networks cluster-* policies admit.
export const DEFAULT_CLUSTER_NETWORKS = '10.0.0.0/8,100.64.0.0/10,172.16.0.0/12,192.168.0.0/16,fd00::/8';
// Linkerd's default identity trust domain (identityTrustDomain: cluster.local), used to spell ServiceAccount
// identities in policies when --identity-trust-domain is not given.
export const DEFAULT_IDENTITY_TRUST_DOMAIN = 'cluster.local';
// Pod annotation choosing the default inbound policy of a pod's ports that no Server selects (Linkerd's name).
export const DEFAULT_INBOUND_POLICY_ANNOTATION = 'config.linkerd.io/default-inbound-policy';
// Most CIDRs a NetworkAuthentication (or --cluster-networks) may list, and exceptions per CIDR (ours).
export const MAX_POLICY_NETWORKS = 64;
