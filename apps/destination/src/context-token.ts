import { MAX_CONTEXT_TOKEN_CHARS } from './defaults';

export interface ContextToken {
  ns?: string;
  nodeName?: string;
  pod?: string;
}

export type ContextTokenResult = { ok: true; token: ContextToken } | { ok: false; reason: string };

const LEGACY_PREFIX = 'ns:';

function pickStrings(value: Record<string, unknown>): ContextToken {
  const token: ContextToken = {};
  for (const key of ['ns', 'nodeName', 'pod'] as const) {
    const field = value[key];
    if (typeof field === 'string' && field !== '') token[key] = field;
  }
  return token;
}

/**
 * Parses the injector's context token: JSON `{"ns","nodeName","pod"}` or the legacy `ns:<namespace>`.
 * An empty token is an empty context; anything unreadable is reported (callers log it and go on).
 */
export function parseContextToken(text: string): ContextTokenResult {
  const trimmed = text.trim();
  if (trimmed === '') return { ok: true, token: {} };
  if (trimmed.length > MAX_CONTEXT_TOKEN_CHARS) return { ok: false, reason: `longer than ${MAX_CONTEXT_TOKEN_CHARS} characters` };
  if (trimmed.startsWith(LEGACY_PREFIX)) {
    const ns = trimmed.slice(LEGACY_PREFIX.length);
    return ns === '' ? { ok: false, reason: 'legacy token without a namespace' } : { ok: true, token: { ns } };
  }
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch {
    return { ok: false, reason: 'neither JSON nor ns:<namespace>' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, reason: 'JSON is not an object' };
  return { ok: true, token: pickStrings(value as Record<string, unknown>) };
}
