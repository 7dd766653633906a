// Restart delays after an informer failure: 100 ms doubling to 30 s with ±10 % jitter, reset after a
// success. Base and jitter follow linkerd2-proxy's discovery backoff (DESIGN.md); the cap is lower
// than its 60 s because a stale cache matters more to a control plane than reconnect load.
export const INFORMER_BACKOFF_INITIAL_MS = 100;
export const INFORMER_BACKOFF_MAX_MS = 30_000;
export const INFORMER_BACKOFF_MULTIPLIER = 2;
export const INFORMER_BACKOFF_JITTER = 0.1;

export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  random?: () => number;
}

/** Delay before attempt `failures` (1-based): exponential, capped, jittered. Pure. */
export function backoffDelayMs(failures: number, options: BackoffOptions = {}): number {
  const initial = options.initialMs ?? INFORMER_BACKOFF_INITIAL_MS;
  const max = options.maxMs ?? INFORMER_BACKOFF_MAX_MS;
  const random = options.random ?? Math.random;
  const base = Math.min(max, initial * INFORMER_BACKOFF_MULTIPLIER ** Math.max(0, failures - 1));
  const jitter = 1 + INFORMER_BACKOFF_JITTER * (2 * random() - 1);
  return Math.round(Math.min(max, base * jitter));
}
