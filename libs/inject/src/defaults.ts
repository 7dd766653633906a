/** Opt in or out, on a pod (annotation) or a namespace (label: the API server selects namespaces by label). */
export const INJECT_KEY = 'trellis.io/inject';
export const INJECT_ENABLED = 'enabled';
export const INJECT_DISABLED = 'disabled';
/** Set on injected pods; the destination service reads it to know the endpoint runs the proxy (docs/destination.md). */
export const PROXY_ANNOTATION = 'trellis.io/proxy';
export const PROXY_CONTAINER_NAME = 'trellis-proxy';

/** Per-pod settings, Knative's Revision fields as annotations (ours). */
export const USER_PORT_ANNOTATION = 'trellis.io/user-port';
export const CONTAINER_CONCURRENCY_ANNOTATION = 'trellis.io/container-concurrency';
export const TIMEOUT_SECONDS_ANNOTATION = 'trellis.io/timeout-seconds';
export const RESPONSE_START_TIMEOUT_ANNOTATION = 'trellis.io/response-start-timeout-seconds';
export const IDLE_TIMEOUT_ANNOTATION = 'trellis.io/idle-timeout-seconds';
export const APP_PROTOCOL_ANNOTATION = 'trellis.io/app-protocol';
export const PROXY_IMAGE_ANNOTATION = 'trellis.io/proxy-image';

/** Knative's user port default (8080) and revision timeout default (300 s, config-defaults revision-timeout-seconds). */
export const DEFAULT_USER_PORT = 8080;
export const DEFAULT_TIMEOUT_SECONDS = 300;
/** Knative's containerConcurrency default: 0, no limit. */
export const DEFAULT_CONTAINER_CONCURRENCY = 0;
/** Ours: the upper bounds the proxy itself accepts (apps/proxy/src/config/inbound-config.ts). */
export const MAX_CONTAINER_CONCURRENCY = 1_000_000;
export const MAX_TIMEOUT_SECONDS = 24 * 3_600;

export const DEFAULT_PROXY_IMAGE = 'trellis/proxy';
export const DEFAULT_DESTINATION_ADDR = 'trellis-destination.trellis-system.svc.cluster.local:8086';
/** The destination's policy port (InboundServerPolicies for the inbound side; Linkerd's policy controller: 8090). */
export const DEFAULT_POLICY_ADDR = 'trellis-destination.trellis-system.svc.cluster.local:8090';
export const DEFAULT_AUTOSCALER_ADDR = 'trellis-autoscaler.trellis-system.svc.cluster.local:9997';

/** The proxy's ports, by the names Services and probes use (Knative queue-proxy: 8012, 8013, 8022, 9090, 9091). */
export const PROXY_PORTS = [
  { name: 'http', containerPort: 8012 },
  { name: 'h2c', containerPort: 8013 },
  { name: 'admin', containerPort: 8022 },
  { name: 'autoscaling', containerPort: 9090 },
  { name: 'metrics', containerPort: 9091 },
] as const;

/** Ours: the proxy's resources, sized from the local benchmarks (docs/benchmarks). */
export const PROXY_RESOURCES = { requests: { cpu: '25m', memory: '48Mi' }, limits: { memory: '128Mi' } } as const;

/** The identity service and the files the proxy reads its credentials from (docs/identity.md, deploy/example). */
export const DEFAULT_IDENTITY_ADDR = 'trellis-identity.trellis-system.svc.cluster.local:8080';
export const IDENTITY_TOKEN_VOLUME = 'trellis-identity-token';
export const IDENTITY_TOKEN_DIR = '/var/run/secrets/tokens';
export const IDENTITY_TRUST_ROOTS_VOLUME = 'trellis-identity-trust-roots';
export const IDENTITY_TRUST_ROOTS_DIR = '/var/run/trellis/identity/trust-roots';
/** Linkerd's proxy token audience, and a day's lifetime (the kubelet rotates it; the proxy re-reads it). */
export const IDENTITY_TOKEN_AUDIENCE = 'identity.l5d.io';
export const IDENTITY_TOKEN_EXPIRATION_SECONDS = 86_400;
/** The ConfigMap with the trust anchors' PEM bundle (key ca-bundle.crt), in the pod's namespace. */
export const IDENTITY_TRUST_ROOTS_CONFIGMAP = 'trellis-identity-trust-roots';
