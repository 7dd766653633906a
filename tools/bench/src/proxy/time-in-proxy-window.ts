import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { TimeInProxySummary } from '@trellis/testing/time-in-proxy';
import { BenchError } from './errors';
import type { Managed } from './processes';

/**
 * --time-in-proxy: each Node proxy runs children/time-in-proxy-preload (node --import), which times requests at the
 * process's sockets. SIGUSR2 makes it write what it timed since the previous signal to `<dir>/<pid>.json` and start
 * over, so one signal before a measurement and one after it give that measurement's window. Only processes started
 * with the preload may get the signal: without a handler, SIGUSR2 ends a Node process (and upgrades nginx).
 */
export const TIME_IN_PROXY_DIR_ENV = 'TRELLIS_BENCH_TIME_IN_PROXY_DIR';
/** How long a signalled process has to write its file; it is a few histogram reads. */
export const TIME_IN_PROXY_WRITE_TIMEOUT_MS = 5_000;
const POLL_INTERVAL_MS = 20;

/** What one process timed in one measurement window. */
export interface ProcessTimeInProxy extends TimeInProxySummary {
  readonly process: string;
}

export function timeInProxyFile(dir: string, pid: number): string {
  return path.join(dir, `${pid}.json`);
}

function isPercentiles(value: unknown): boolean {
  if (value === undefined) return true;
  if (typeof value !== 'object' || value === null) return false;
  return ['p50', 'p90', 'p99', 'p999'].every((k) => typeof (value as Record<string, unknown>)[k] === 'number');
}

/** The preload's JSON, checked field by field; a file that is not one is an error naming the process. */
export function parseTimeInProxy(processName: string, text: string): ProcessTimeInProxy {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new BenchError('BENCH_TIMING', `${processName}: the time-in-proxy file is not JSON`, { cause: err });
  }
  const v = value as Record<string, unknown>;
  if (typeof v?.requests !== 'number' || !isPercentiles(v.inProxy) || !isPercentiles(v.upstream) || !isPercentiles(v.own)) {
    throw new BenchError('BENCH_TIMING', `${processName}: the time-in-proxy file does not hold a summary`);
  }
  return { process: processName, ...(v as unknown as TimeInProxySummary) };
}

async function readWhenWritten(managed: Managed, file: string): Promise<ProcessTimeInProxy> {
  const deadline = Date.now() + TIME_IN_PROXY_WRITE_TIMEOUT_MS;
  for (;;) {
    try {
      return parseTimeInProxy(managed.name, await readFile(file, 'utf8'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (managed.exited || Date.now() > deadline) {
      throw new BenchError('BENCH_TIMING', `${managed.name} wrote no time-in-proxy file within ${TIME_IN_PROXY_WRITE_TIMEOUT_MS} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}

/** Ends the current window of every timed process and returns what each timed in it (a new window starts). */
export async function closeWindow(timed: readonly Managed[], dir: string): Promise<ProcessTimeInProxy[]> {
  return Promise.all(
    timed.map(async (managed) => {
      const file = timeInProxyFile(dir, managed.pid);
      await rm(file, { force: true });
      process.kill(managed.pid, 'SIGUSR2');
      return readWhenWritten(managed, file);
    }),
  );
}

/** The node options and environment that load the preload into a proxy, when the run times proxies. */
export function timedLaunch(timing: { readonly preload: string; readonly dir: string } | undefined): { nodeOptions: string[]; env: Record<string, string> } {
  if (timing === undefined) return { nodeOptions: [], env: {} };
  return { nodeOptions: ['--import', timing.preload], env: { [TIME_IN_PROXY_DIR_ENV]: timing.dir } };
}
