// Polling bounds for waitFor: a condition gets up to 10 s (well under the 30 s vitest timeout) and is
// re-checked every 10 ms.
export const WAIT_FOR_TIMEOUT_MS = 10_000;
export const WAIT_FOR_INTERVAL_MS = 10;

export interface WaitForOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Shown in the error when the condition never holds. */
  what?: string;
}

/**
 * Re-evaluates `check` until it returns a value other than undefined/false, then returns that value.
 * Bounded in time; throws with the last error seen (if `check` threw) when the bound is reached.
 */
export async function waitFor<T>(check: () => T | undefined | false | Promise<T | undefined | false>, options: WaitForOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? WAIT_FOR_TIMEOUT_MS;
  const intervalMs = options.intervalMs ?? WAIT_FOR_INTERVAL_MS;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const suffix = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(`waitFor ${options.what ?? 'condition'} timed out after ${timeoutMs} ms${suffix}`, { cause: lastError });
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
