import { MAX_CONTEXT_TOKEN_CHARS, MAX_DNS_LABEL_CHARS, MAX_DNS_NAME_CHARS } from './defaults';

export interface Workload {
  namespace: string;
  pod: string;
}

export type WorkloadResult = { ok: true; workload: Workload } | { ok: false; reason: string };

const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const EXPECTED = 'expected {"ns":"<namespace>","pod":"<pod>"} or <namespace>:<pod>';

function checked(namespace: unknown, pod: unknown): WorkloadResult {
  if (typeof namespace !== 'string' || !LABEL.test(namespace) || namespace.length > MAX_DNS_LABEL_CHARS) {
    return { ok: false, reason: `workload namespace ${JSON.stringify(namespace)} is not a namespace name; ${EXPECTED}` };
  }
  if (typeof pod !== 'string' || !NAME.test(pod) || pod.length > MAX_DNS_NAME_CHARS) {
    return { ok: false, reason: `workload pod ${JSON.stringify(pod)} is not a pod name; ${EXPECTED}` };
  }
  return { ok: true, workload: { namespace, pod } };
}

/**
 * PortSpec.workload as Linkerd's proxies send it: JSON `{"ns":"<namespace>","pod":"<pod>"}` (Linkerd 2.13 and
 * later; other keys ignored), or `<namespace>:<pod>` (earlier releases).
 */
export function parseWorkload(text: string): WorkloadResult {
  const trimmed = text.trim();
  if (trimmed === '') return { ok: false, reason: `empty workload; ${EXPECTED}` };
  if (trimmed.length > MAX_CONTEXT_TOKEN_CHARS) return { ok: false, reason: `workload longer than ${MAX_CONTEXT_TOKEN_CHARS} characters` };
  if (trimmed.startsWith('{')) {
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch {
      return { ok: false, reason: `workload is not valid JSON; ${EXPECTED}` };
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, reason: `workload JSON is not an object; ${EXPECTED}` };
    const { ns, pod } = value as { ns?: unknown; pod?: unknown };
    return checked(ns, pod);
  }
  const parts = trimmed.split(':');
  if (parts.length !== 2) return { ok: false, reason: `unreadable workload ${JSON.stringify(trimmed.slice(0, 100))}; ${EXPECTED}` };
  return checked(parts[0], parts[1]);
}
