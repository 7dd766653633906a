// Defaults of the identity service. Each names its unit and its source.

// Linkerd identity controller's gRPC port (linkerd2 controller/cmd/identity, -addr :8080).
export const DEFAULT_GRPC_PORT = 8080;
// Linkerd identity controller's admin port (-admin-addr :9990).
export const DEFAULT_ADMIN_PORT = 9990;
// Largest Certify request accepted, bytes: a token (under 16 KiB) plus a CSR (under 16 KiB) and the identity.
// Source: ours; grpc-js would otherwise accept 4 MiB.
export const MAX_REQUEST_BYTES = 64 * 1024;
// Certify calls served at once; more are refused with RESOURCE_EXHAUSTED. Source: ours (each costs a
// TokenReview round trip and an ECDSA signature; a node's proxies restart in waves of a few hundred).
export const MAX_CONCURRENT_CERTIFY = 256;
// A TokenReview that takes longer is abandoned and the caller gets UNAVAILABLE (it retries). Source: ours.
export const TOKEN_REVIEW_TIMEOUT_MS = 10_000;
// Grace given to calls in flight on shutdown before the gRPC server is forced down. Source: ours.
export const SHUTDOWN_GRACE_MS = 2_000;
