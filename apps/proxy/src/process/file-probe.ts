import { stat } from 'node:fs/promises';
import type { ProbeOutcome } from './ready-probe';

/**
 * The exec file-freshness probe: live while the workload keeps touching `path` (its mtime is at most
 * `maxAgeMs` old). A missing or unreadable file is a failure with the reason.
 */
export async function probeFile(path: string, maxAgeMs: number, nowMs: number = Date.now()): Promise<ProbeOutcome> {
  let mtimeMs: number;
  try {
    mtimeMs = (await stat(path)).mtimeMs;
  } catch (err) {
    return { ok: false, reason: `cannot stat ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
  }
  const ageMs = nowMs - mtimeMs;
  if (ageMs <= maxAgeMs) return { ok: true };
  return { ok: false, reason: `${path} was last modified ${(ageMs / 1000).toFixed(1)} s ago (max age ${maxAgeMs / 1000} s)` };
}
