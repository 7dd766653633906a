// Go's time.ParseDuration grammar: an optionally signed sequence of decimal numbers, each with an
// optional fraction and a unit (ns, us, µs, ms, s, m, h), e.g. "300ms", "1m30s", "1.5h"; "0" alone.
const UNIT_NANOS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  'µs': 1_000n,
  'μs': 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};
const PART = /([0-9]*)(?:\.([0-9]*))?(ns|us|µs|μs|ms|s|m|h)/y;
// Go durations are int64 nanoseconds (about 292 years).
const MAX_NANOS = (1n << 63n) - 1n;

export type DurationResult = { ok: true; nanos: bigint } | { ok: false; reason: string };

function fail(text: string, why: string): DurationResult {
  return { ok: false, reason: `invalid duration ${JSON.stringify(text)}: ${why} (Go syntax, e.g. 300ms, 1m30s)` };
}

/** Parses a Go duration string into nanoseconds. */
export function parseGoDuration(text: string): DurationResult {
  let rest = text;
  let sign = 1n;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    sign = rest.startsWith('-') ? -1n : 1n;
    rest = rest.slice(1);
  }
  if (rest === '0') return { ok: true, nanos: 0n };
  if (rest === '') return fail(text, 'empty');
  let total = 0n;
  PART.lastIndex = 0;
  while (PART.lastIndex < rest.length) {
    const start = PART.lastIndex;
    const m = PART.exec(rest);
    if (!m || m.index !== start) return fail(text, 'expected <number><unit> parts');
    const [, whole = '', fraction = '', unit = ''] = m;
    if (whole === '' && fraction === '') return fail(text, 'a unit without a number');
    const scale = UNIT_NANOS[unit] ?? 0n;
    const fractionNanos = fraction === '' ? 0n : (BigInt(fraction) * scale) / 10n ** BigInt(fraction.length);
    total += BigInt(whole === '' ? '0' : whole) * scale + fractionNanos;
    if (total > MAX_NANOS) return fail(text, 'out of range');
  }
  return { ok: true, nanos: sign * total };
}

/** Nanoseconds → protobuf Duration ({seconds as decimal string, nanos}). Non-negative input. */
export function nanosToDuration(nanos: bigint): { seconds: string; nanos: number } {
  return { seconds: (nanos / 1_000_000_000n).toString(), nanos: Number(nanos % 1_000_000_000n) };
}
