import { connect } from 'node:net';
import type { Child } from '../process/child';
import { describeExit } from '../process/child';
import { probeHttp } from '../process/probe';
import { LocalError } from '../errors';

// A component gets this long to come up (a cold Node.js start on a busy laptop takes a few seconds).
export const COMPONENT_START_TIMEOUT_MS = 30_000;
// Readiness of a component is polled this often, each attempt bounded (ours: quick enough not to be noticed).
const POLL_INTERVAL_MS = 100;
const POLL_ATTEMPT_TIMEOUT_MS = 500;

function tcpOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.setTimeout(POLL_ATTEMPT_TIMEOUT_MS, () => socket.destroy());
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('close', () => resolve(false));
  });
}

/** Throws LOCAL_ABORTED once the signal has fired (Ctrl-C while starting). */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new LocalError('LOCAL_ABORTED', 'interrupted while starting');
}

async function waitUntil(child: Child, what: string, check: () => Promise<boolean>, logFile: string, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + COMPONENT_START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    throwIfAborted(signal);
    if (!child.running) {
      const info = await child.exited;
      throw new LocalError('LOCAL_SPAWN_FAILED', `${child.name} ${describeExit(info)} before ${what}; see ${logFile}`);
    }
    if (await check()) return;
    await new Promise((r) => setTimeout(r, POLL_INTERVAL_MS));
  }
  throw new LocalError('LOCAL_SPAWN_FAILED', `${child.name} did not become ready (${what}) within ${COMPONENT_START_TIMEOUT_MS} ms; see ${logFile}`);
}

/** Waits until GET url answers 2xx, failing early if the child exits. */
export function waitForHttp(child: Child, url: string, logFile: string, signal?: AbortSignal): Promise<void> {
  return waitUntil(child, `${url} answered`, () => probeHttp(url, POLL_ATTEMPT_TIMEOUT_MS), logFile, signal);
}

/** Waits until host:port accepts connections, failing early if the child exits. */
export function waitForPort(child: Child, host: string, port: number, logFile: string, signal?: AbortSignal): Promise<void> {
  return waitUntil(child, `${host}:${port} accepted connections`, () => tcpOpen(host, port), logFile, signal);
}
