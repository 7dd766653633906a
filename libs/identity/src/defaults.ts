/** The trust domain when none is configured. Source: Linkerd (`identityTrustDomain: cluster.local`). */
export const DEFAULT_TRUST_DOMAIN = 'cluster.local';

/** A leaf certificate's lifetime, ms. Source: Linkerd (`identity.issuer.issuanceLifetime: 24h0m0s`). */
export const DEFAULT_LEAF_LIFETIME_MS = 24 * 60 * 60 * 1000;

/**
 * How far a leaf's notBefore is set in the past, ms, so that peers whose clocks lag still accept it.
 * Source: Linkerd (`identity.issuer.clockSkewAllowance: 20s`).
 */
export const DEFAULT_CLOCK_SKEW_ALLOWANCE_MS = 20 * 1000;

/** Fraction of a certificate's life after which the proxy renews it. Source: Linkerd's proxy (70 %). */
export const RENEW_AT_FRACTION = 0.7;

/** The audience of the tokens a proxy presents. Source: Linkerd (`identity.l5d.io`). */
export const TOKEN_AUDIENCE = 'identity.l5d.io';

/** Lifetime of the trust anchor a tool creates, ms. Source: ours (Linkerd's docs suggest 10 years: 87600h). */
export const DEFAULT_ANCHOR_LIFETIME_MS = 10 * 365 * 24 * 60 * 60 * 1000;

/** Lifetime of the issuer a tool creates, ms. Source: ours (Linkerd's docs suggest one year: 8760h). */
export const DEFAULT_ISSUER_LIFETIME_MS = 365 * 24 * 60 * 60 * 1000;

/** Lifetime of a local-mode token, ms. Source: ours (Kubernetes' projected tokens default to 1 h). */
export const DEFAULT_LOCAL_TOKEN_LIFETIME_MS = 60 * 60 * 1000;

/** Serial numbers are this many random bytes. Source: CA/Browser Forum baseline (at least 64 bits); ours: 128. */
export const SERIAL_NUMBER_BYTES = 16;

/** The key and signature algorithm of every key Trellis makes: ECDSA P-256 with SHA-256, as Linkerd uses. */
export const EC_KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;
export const EC_SIGNING_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/** The identity service's ServiceAccount and namespace, as deploy/control-plane names them; its serving certificate
 * is for this workload's identity. Source: Linkerd (`linkerd-identity` in `linkerd`, LINKERD2_PROXY_IDENTITY_SVC_NAME). */
export const IDENTITY_SERVICE_ACCOUNT = 'trellis-identity';
export const CONTROL_PLANE_NAMESPACE = 'trellis-system';
