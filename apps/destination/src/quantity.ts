// Kubernetes resource quantities (k8s.io/apimachinery/pkg/api/resource): a decimal number with an
// optional SI suffix (n u m k M G T P E), binary suffix (Ki Mi Gi Ti Pi Ei) or exponent (e3, E-2).
const DECIMAL_EXPONENT: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_POWER: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const QUANTITY = /^([+-]?)([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(.*)$/;
const EXPONENT = /^[eE]([+-]?[0-9]+)$/;

export type QuantityResult = { ok: true; milli: bigint } | { ok: false; reason: string };

function ceilDiv(a: bigint, b: bigint): bigint {
  return a >= 0n ? (a + b - 1n) / b : a / b;
}

/** Parses a quantity into thousandths, rounding up like Go's Quantity.MilliValue(). */
export function parseQuantityMilli(input: string | number): QuantityResult {
  const text = typeof input === 'number' ? String(input) : input.trim();
  const m = QUANTITY.exec(text);
  if (!m) return { ok: false, reason: `invalid quantity ${JSON.stringify(text)}: expected a number with an optional suffix, e.g. 1, 500m` };
  const [, sign = '', number = '', suffix = ''] = m;
  const [whole = '', fraction = ''] = number.split('.');
  let mantissa = BigInt(`${whole || '0'}${fraction}`) * (sign === '-' ? -1n : 1n);
  let exponent = 3 - fraction.length;
  const decimal = DECIMAL_EXPONENT[suffix];
  const binary = BINARY_POWER[suffix];
  const exp = EXPONENT.exec(suffix);
  if (decimal !== undefined) exponent += decimal;
  else if (binary !== undefined) mantissa *= 1n << BigInt(binary);
  else if (exp) exponent += Number(exp[1]);
  else return { ok: false, reason: `invalid quantity ${JSON.stringify(text)}: unknown suffix ${JSON.stringify(suffix)}` };
  if (exponent > 30) return { ok: false, reason: `invalid quantity ${JSON.stringify(text)}: out of range` };
  const milli = exponent >= 0 ? mantissa * 10n ** BigInt(exponent) : ceilDiv(mantissa, 10n ** BigInt(-exponent));
  return { ok: true, milli };
}
