import { open, readdir, readFile, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { SLICE_FOLDER } from '../runner/runner';

// Ours: how often the destination's log is read for new lines, how much of it per read, and the longest line kept
// whole (pino writes one JSON object per line; a longer one is skipped).
const POLL_INTERVAL_MS = 250;
const MAX_READ_BYTES = 1024 * 1024;
const MAX_LINE_BYTES = 64 * 1024;
// The fs source's bounds (libs/kube: MAX_FILE_BYTES, MAX_MANIFEST_FILES), for finding the file that holds an object.
const MAX_FILE_BYTES = 4 * 1024 * 1024;
const MAX_MANIFEST_FILES = 10_000;
const MANIFEST = /\.(ya?ml|json)$/i;
// pino's numeric level for warn.
const WARN = 40;
// The source's own problems (bad YAML, unknown kinds, duplicates): the runner already prints them from its source.
const SOURCE_MESSAGES = new Set(['source problem', 'fs source problem']);

interface LogLine {
  level?: number;
  msg?: string;
  kind?: string;
  namespace?: string;
  name?: string;
  service?: string;
  annotation?: string;
  reason?: string;
  message?: string;
}

/** The object a destination warning is about, when it is about one: a ServiceProfile, a route, a Service. */
function subjectOf(line: LogLine): { kind: string; namespace: string; name: string } | undefined {
  if ((line.level ?? 0) < WARN || line.msg === undefined || SOURCE_MESSAGES.has(line.msg) || !line.namespace || !line.reason) return undefined;
  const name = line.name ?? line.service;
  if (!name) return undefined;
  const kind = line.kind ?? (line.msg.startsWith('ServiceProfile') ? 'ServiceProfile' : line.service ? 'Service' : undefined);
  return kind ? { kind, namespace: line.namespace, name } : undefined;
}

/** The first manifest file (in path order, as the fs source decides clashes) that defines the object. */
export async function manifestFileOf(dir: string, kind: string, namespace: string, name: string): Promise<string | undefined> {
  let entries: string[];
  try {
    entries = await readdir(dir, { recursive: true });
  } catch {
    return undefined;
  }
  const files = entries.filter((e) => MANIFEST.test(e) && !e.split(sep).some((s) => s.startsWith('.') || s === SLICE_FOLDER)).sort().slice(0, MAX_MANIFEST_FILES);
  for (const file of files) {
    const full = join(dir, file);
    try {
      if ((await stat(full)).size > MAX_FILE_BYTES) continue;
      for (const doc of parseAllDocuments(await readFile(full, 'utf8'))) {
        if (doc.errors.length > 0) break;
        const obj = doc.toJS({ maxAliasCount: 100 }) as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } } | null;
        if (obj?.kind === kind && obj.metadata?.name === name && (obj.metadata.namespace ?? 'default') === namespace) return full;
      }
    } catch {
      // a file that vanished or cannot be read holds nothing we can point at
    }
  }
  return undefined;
}

export interface ProblemFollower {
  /** Idempotent. */
  close(): void;
}

/**
 * Follows the destination's log file and reports the manifest problems only the destination finds (a ServiceProfile
 * or route it rejects, a Service annotation it ignores) as `manifest problem: <file> <Kind> <ns>/<name>: <reason>`.
 * A problem is reported again only when its text changes.
 */
export function followDestinationProblems(logFile: string, manifestDir: string, report: (message: string) => void): ProblemFollower {
  let offset = 0;
  let carry = '';
  let busy = false;
  const last = new Map<string, string>();

  const handle = async (text: string) => {
    let line: LogLine;
    try {
      line = JSON.parse(text) as LogLine;
    } catch {
      return;
    }
    const subject = subjectOf(line);
    if (subject === undefined) return;
    const key = `${subject.kind}/${subject.namespace}/${subject.name}/${line.annotation ?? ''}`;
    const detail = `${line.annotation ? `${line.annotation}: ` : ''}${line.reason}${line.message ? `: ${line.message}` : ''}`;
    if (last.get(key) === detail) return;
    last.set(key, detail);
    const file = (await manifestFileOf(manifestDir, subject.kind, subject.namespace, subject.name)) ?? manifestDir;
    report(`manifest problem: ${file} ${subject.kind} ${subject.namespace}/${subject.name}: ${detail} (${line.msg})`);
  };

  const poll = async () => {
    const handleFile = await open(logFile, 'r').catch(() => undefined);
    if (handleFile === undefined) return;
    try {
      const size = (await handleFile.stat()).size;
      if (size < offset) offset = 0;
      if (size === offset) return;
      const buffer = Buffer.alloc(Math.min(size - offset, MAX_READ_BYTES));
      const { bytesRead } = await handleFile.read(buffer, 0, buffer.length, offset);
      offset += bytesRead;
      const lines = (carry + buffer.subarray(0, bytesRead).toString('utf8')).split('\n');
      carry = lines.pop() ?? '';
      if (carry.length > MAX_LINE_BYTES) carry = '';
      for (const text of lines) await handle(text);
    } finally {
      await handleFile.close();
    }
  };

  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void poll().finally(() => (busy = false));
  }, POLL_INTERVAL_MS);
  timer.unref();
  return { close: () => clearInterval(timer) };
}
