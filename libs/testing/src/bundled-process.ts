import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Ours: how often a starting process's output is scanned for its ready line, in milliseconds. */
export const BUNDLED_PROCESS_POLL_MS = 50;

export type BundledProcessErrorCode = 'BUNDLE_MISSING' | 'START_FAILED';

export class BundledProcessError extends Error {
  constructor(
    readonly code: BundledProcessErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'BundledProcessError';
  }
}

export interface BundledProcessOptions {
  /** The service, as errors name it ("destination", "identity service"). */
  name: string;
  /** The bundled entry point (bundleEntry's outfile), run with this Node. */
  bundle: string;
  /** What builds the bundle, named in the error when it is missing ("buildDestination()"). */
  buildWith: string;
  args: readonly string[];
  /** The `msg` of the JSON log line on stdout that says the service serves (its ports are in that line). */
  readyMessage: string;
  /** How long the service may take to print its ready line, in milliseconds. */
  startTimeoutMs: number;
}

export interface BundledProcess<Ready> {
  readonly child: ChildProcess;
  /** The ready line, parsed. */
  readonly ready: Ready;
  /** SIGKILL unless it already exited; resolves once it has. Idempotent. */
  kill(): Promise<void>;
}

/** The first complete stdout line whose `msg` is `message`, parsed; undefined until it has come. */
function readyLine<Ready>(stdout: string, message: string): Ready | undefined {
  const marker = `"msg":${JSON.stringify(message)}`;
  const complete = stdout.slice(0, stdout.lastIndexOf('\n') + 1);
  const line = complete.split('\n').find((l) => l.includes(marker));
  return line === undefined ? undefined : (JSON.parse(line) as Ready);
}

/**
 * Spawns a bundled service (`node <bundle> <args>`) and resolves once it logs its ready line, or rejects
 * (the child killed) when it exits first or stays silent for startTimeoutMs. The child is SIGKILLed by
 * kill() and, should a test forget, when the test process exits.
 */
export async function spawnBundled<Ready>(options: BundledProcessOptions): Promise<BundledProcess<Ready>> {
  const { name, bundle, buildWith, readyMessage, startTimeoutMs } = options;
  if (!existsSync(bundle)) throw new BundledProcessError('BUNDLE_MISSING', `${name}: ${bundle} is missing; build it first with ${buildWith}`);
  const child = spawn(process.execPath, [bundle, ...options.args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      process.off('exit', killOnExit);
      resolve();
    }),
  );
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  const deadline = Date.now() + startTimeoutMs;
  while (Date.now() < deadline && child.exitCode === null && child.signalCode === null) {
    const ready = readyLine<Ready>(stdout, readyMessage);
    if (ready !== undefined) return { child, ready, kill };
    await new Promise((r) => setTimeout(r, BUNDLED_PROCESS_POLL_MS));
  }
  await kill();
  throw new BundledProcessError('START_FAILED', `${name} did not start (exit ${child.exitCode}): ${stderr} ${stdout}`);
}

/** Whether a process with this pid exists (signal 0 checks without sending anything). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
