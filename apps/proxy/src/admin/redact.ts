/** Setting names whose values are secret, or name where a secret lives: shown as REDACTED. */
const SECRET_KEY = /token|secret|password|passwd|credential|private|key$|pem|anchors|authorization/i;
export const REDACTED = '[redacted]';

/** A URL's user and password are secrets too: `http://u:p@host/` becomes `http://[redacted]@host/`. */
function redactUrl(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@\s]+@/i, `$1${REDACTED}@`);
}

/**
 * A copy of a settings object safe to show on the admin port: values of secret-looking keys replaced,
 * credentials in URLs removed, secret-named name/value pairs hidden, functions and class instances other than plain data dropped.
 */
export function redact(value: unknown, key = ''): unknown {
  if (key !== '' && SECRET_KEY.test(key) && value !== undefined) return REDACTED;
  if (typeof value === 'string') return redactUrl(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return value;
  if (Array.isArray(value)) return value.map((v) => redact(v));
  if (typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const r = redact(v, k);
    if (r !== undefined) out[k] = r;
  }
  // A name/value pair (a probe's HTTP header) whose name is secret-looking: `Authorization: Bearer ...`.
  if (typeof out.name === 'string' && SECRET_KEY.test(out.name) && 'value' in out) out.value = REDACTED;
  return out;
}
