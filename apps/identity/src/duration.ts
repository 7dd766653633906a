// Go-style durations as Linkerd's flags take them (`24h0m0s`, `20s`, `1500ms`): a sequence of
// <integer><unit> with units h, m, s, ms. Returns milliseconds, or undefined for anything else.

const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1 };
const DURATION = /^(?:[0-9]+(?:h|ms|m|s))+$/;
const PART = /([0-9]+)(h|ms|m|s)/g;

export function parseDuration(text: string): number | undefined {
  if (!DURATION.test(text)) return undefined;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(PART)) total += Number(amount) * (UNIT_MS[unit ?? ''] ?? NaN);
  return Number.isSafeInteger(total) ? total : undefined;
}
