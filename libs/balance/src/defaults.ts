// Every default, with its unit and where it comes from.

/** linkerd2-proxy: peak-EWMA RTT assumed for an endpoint with no observations yet. */
export const DEFAULT_RTT_MS = 30;
/** linkerd2-proxy: peak-EWMA decay time constant. */
export const DEFAULT_DECAY_MS = 10_000;

/** Envoy: least request `choice_count`. */
export const DEFAULT_CHOICE_COUNT = 2;
/** Envoy: least request `active_request_bias`. */
export const DEFAULT_ACTIVE_REQUEST_BIAS = 1.0;

/** Envoy: ring hash `minimum_ring_size`. */
export const DEFAULT_MIN_RING_SIZE = 1024;
/** Envoy: ring hash `maximum_ring_size` (8M). */
export const DEFAULT_MAX_RING_SIZE = 8 * 1024 * 1024;
/**
 * Ours (ketama uses 160): ring entries per endpoint of the smallest weight, so that the ring
 * does not have to be re-scaled (which moves extra keys) as endpoints come and go.
 */
export const DEFAULT_RING_ENTRIES_PER_ENDPOINT = 64;
/**
 * Ours: ring entries beyond which endpoints get fewer entries each, so that a ring for 10,000
 * endpoints builds in milliseconds rather than seconds (use Maglev for balance at that size).
 */
export const DEFAULT_RING_SIZE_BUDGET = 65_536;
/** Envoy: Maglev `table_size` (a prime). */
export const DEFAULT_MAGLEV_TABLE_SIZE = 65_537;

/** linkerd2-proxy: exponential backoff minimum (discovery reconnects). */
export const DEFAULT_BACKOFF_MIN_MS = 100;
/**
 * linkerd2-proxy: the control-plane backoff maximum (`DEFAULT_CONTROL_BACKOFF`, 5 s). Every user of the
 * default is a control-plane stream (discovery, policy, identity), which must come back soon after
 * its server does: a 60 s cap left a proxy without updates for up to a minute after a destination restart.
 */
export const DEFAULT_BACKOFF_MAX_MS = 5_000;
/** linkerd2-proxy: exponential backoff multiplier per attempt. */
export const DEFAULT_BACKOFF_MULTIPLIER = 2;
/** linkerd2-proxy: exponential backoff jitter, as a fraction of the base delay. */
export const DEFAULT_BACKOFF_JITTER = 0.1;

/** Linkerd (ServiceProfile retryBudget): retries allowed per request deposited. */
export const DEFAULT_RETRY_RATIO = 0.2;
/** Linkerd (ServiceProfile retryBudget): retries per second allowed regardless of the ratio. */
export const DEFAULT_MIN_RETRIES_PER_SECOND = 10;
/** Linkerd (ServiceProfile retryBudget): window over which requests and retries are counted. */
export const DEFAULT_RETRY_TTL_MS = 10_000;

/** Envoy: outlier detection `consecutive_5xx`; 0 disables the detector (ours). */
export const DEFAULT_CONSECUTIVE_5XX = 5;
/**
 * Envoy: consecutive gateway errors (502, 503, 504, connection failures) that eject. 0 disables the
 * detector: Envoy counts 5 (`consecutive_gateway_failure`) but enforces 0 % of those ejections by
 * default (`enforcing_consecutive_gateway_failure`), so by default it never ejects either.
 */
export const DEFAULT_CONSECUTIVE_GATEWAY_ERRORS = 0;
/** Envoy: outlier detection `base_ejection_time`. */
export const DEFAULT_BASE_EJECTION_MS = 30_000;
/** Envoy: outlier detection `max_ejection_time`. */
export const DEFAULT_MAX_EJECTION_MS = 300_000;
/** Envoy: outlier detection `max_ejection_percent`. */
export const DEFAULT_MAX_EJECTION_PERCENT = 10;
/** Envoy: outlier detection `interval`; each interval without ejection forgives one past ejection. */
export const DEFAULT_OUTLIER_INTERVAL_MS = 10_000;
