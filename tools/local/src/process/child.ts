import type { ChildProcess, StdioOptions } from 'node:child_process';
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';

// Variables a child inherits from the tool's environment; everything else comes from its spec, as a pod's
// containers get only what the manifest says (plus what a program needs to be found and to run).
const INHERITED_ENV = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ', 'NODE_ENV'];

export interface ChildSpec {
  /** For messages: "hello-v1-3/app". */
  name: string;
  /** argv; a leading "node" runs the same Node.js binary as this tool. */
  command: string[];
  env: Record<string, string>;
  cwd: string;
  /** Where stdout and stderr go: appended to a file, shared with this process, or dropped. */
  output: { file: string } | 'inherit' | 'ignore';
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the program could not be started at all. */
  error?: Error;
}

export interface Child {
  readonly name: string;
  readonly pid: number | undefined;
  readonly running: boolean;
  readonly exited: Promise<ExitInfo>;
  /** SIGTERM, then SIGKILL after graceMs; resolves when the process has exited. Idempotent. */
  stop(graceMs: number): Promise<ExitInfo>;
}

function stdioFor(output: ChildSpec['output']): { stdio: StdioOptions; fd?: number } {
  if (output === 'inherit') return { stdio: ['ignore', 'inherit', 'inherit'] };
  if (output === 'ignore') return { stdio: 'ignore' };
  const fd = openSync(output.file, 'a');
  return { stdio: ['ignore', fd, fd], fd };
}

function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of INHERITED_ENV) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}

/** Sends a signal to the child's process group (it leads one), so helpers it started go too. */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}

/**
 * Starts a program in its own process group, so a Ctrl-C in the terminal reaches only this tool, which
 * then stops its children in order (drain first). The price: children outlive a tool killed with SIGKILL.
 */
export function spawnChild(spec: ChildSpec): Child {
  const [program, ...args] = spec.command;
  if (program === undefined) throw new Error(`${spec.name}: empty command`);
  const { stdio, fd } = stdioFor(spec.output);
  let proc: ChildProcess;
  try {
    proc = spawn(program === 'node' ? process.execPath : program, args, {
      cwd: spec.cwd,
      env: { ...baseEnv(), ...spec.env },
      stdio,
      detached: true,
    });
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  let running = true;
  const exited = new Promise<ExitInfo>((resolve) => {
    proc.once('error', (error) => {
      running = false;
      resolve({ code: null, signal: null, error });
    });
    proc.once('exit', (code, signal) => {
      running = false;
      resolve({ code, signal });
    });
  });
  let stopping: Promise<ExitInfo> | undefined;
  return {
    name: spec.name,
    pid: proc.pid,
    get running() {
      return running;
    },
    exited,
    stop: (graceMs) =>
      (stopping ??= (async () => {
        if (!running) return exited;
        signalGroup(proc, 'SIGTERM');
        const timer = setTimeout(() => signalGroup(proc, 'SIGKILL'), graceMs);
        const info = await exited;
        clearTimeout(timer);
        // The leader is gone; anything it left in its group goes too.
        if (proc.pid !== undefined) {
          try {
            process.kill(-proc.pid, 'SIGKILL');
          } catch {
            // no process left in the group
          }
        }
        return info;
      })()),
  };
}

export function describeExit(info: ExitInfo): string {
  if (info.error) return `could not start: ${info.error.message}`;
  if (info.signal) return `killed by ${info.signal}`;
  return `exited with code ${info.code}`;
}
