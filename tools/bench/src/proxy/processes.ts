import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { BenchError } from './errors';

/** The CPU the proxy under test runs on; the load generator and the backends run on LOAD_CPU. */
export const PROXY_CPU = 0;
export const LOAD_CPU = 1;
/** How long a started process gets to accept connections on its port. */
export const START_TIMEOUT_MS = 15_000;
/** SIGTERM first; after this long the whole process group gets SIGKILL. */
const STOP_GRACE_MS = 3_000;
const PORT_POLL_MS = 50;
const OUTPUT_TAIL_LINES = 20;

export interface Managed {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** The last lines the process wrote to stdout and stderr. */
  readonly tail: string[];
  exited: boolean;
}

// Every child runs in its own process group (detached), so one kill reaches nginx's workers too.
const running = new Set<Managed>();

function keepTail(tail: string[], chunk: Buffer): void {
  for (const line of chunk.toString('utf8').split('\n')) {
    if (line.trim() === '') continue;
    tail.push(line);
    if (tail.length > OUTPUT_TAIL_LINES) tail.shift();
  }
}

/** Starts `command` pinned to `cpu` with taskset (which execs, so the pid is the command's own). */
export function startProcess(
  name: string,
  cpu: number,
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Managed {
  const child = spawn('taskset', ['-c', String(cpu), command, ...args], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: options.env ?? process.env,
    cwd: options.cwd,
  });
  if (child.pid === undefined) throw new BenchError('BENCH_START', `${name}: could not spawn ${command}`);
  const managed: Managed = { name, pid: child.pid, child, tail: [], exited: false };
  running.add(managed);
  child.stdout?.on('data', (chunk: Buffer) => keepTail(managed.tail, chunk));
  child.stderr?.on('data', (chunk: Buffer) => keepTail(managed.tail, chunk));
  child.on('exit', () => {
    managed.exited = true;
    running.delete(managed);
  });
  child.on('error', (err) => {
    managed.tail.push(String(err));
    managed.exited = true;
    running.delete(managed);
  });
  return managed;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

export async function stopProcess(managed: Managed): Promise<void> {
  if (managed.exited) {
    signalGroup(managed.pid, 'SIGKILL');
    return;
  }
  const exited = new Promise<void>((resolve) => managed.child.once('exit', () => resolve()));
  signalGroup(managed.pid, 'SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, STOP_GRACE_MS)));
  await Promise.race([exited, grace]);
  clearTimeout(timer);
  signalGroup(managed.pid, 'SIGKILL');
}

// Scratch directories removed on every way out, including signals (which skip `finally` blocks).
const scratchDirs = new Set<string>();

export function removeOnExit(dir: string): void {
  scratchDirs.add(dir);
}

export function killAllSync(): void {
  for (const managed of running) signalGroup(managed.pid, 'SIGKILL');
  running.clear();
  for (const dir of scratchDirs) rmSync(dir, { recursive: true, force: true });
  scratchDirs.clear();
}

/** How long a signal handler lets the children stop on SIGTERM (nginx reaps its workers) before SIGKILL. */
const SIGNAL_GRACE_MS = 1_500;

function killAllThenExit(code: number): void {
  const children = [...running];
  for (const managed of children) signalGroup(managed.pid, 'SIGTERM');
  const reaped = children.map((m) => (m.exited ? Promise.resolve() : new Promise<void>((resolve) => m.child.once('exit', () => resolve()))));
  const finish = () => {
    killAllSync();
    process.exit(code);
  };
  const timer = setTimeout(finish, SIGNAL_GRACE_MS);
  void Promise.all(reaped).then(() => {
    clearTimeout(timer);
    finish();
  });
}

/** Kills every child on exit, Ctrl-C, SIGTERM and uncaught errors. */
export function installExitHandlers(): void {
  process.on('exit', killAllSync);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      console.error(`\n${signal}: stopping every child process`);
      killAllThenExit(130);
    });
  }
  process.on('uncaughtException', (err) => {
    console.error(err);
    killAllThenExit(1);
  });
  process.on('unhandledRejection', (err) => {
    console.error(err);
    killAllThenExit(1);
  });
}

function connectOnce(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until 127.0.0.1:port accepts a connection; fails early with the output tail if the process exits. */
export async function waitForPort(managed: Managed, port: number, timeoutMs = START_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (managed.exited) {
      throw new BenchError('BENCH_START', `${managed.name} exited before listening on ${port}: ${managed.tail.join(' | ') || 'no output'}`);
    }
    if (await connectOnce(port)) return;
    await sleep(PORT_POLL_MS);
  }
  throw new BenchError('BENCH_START', `${managed.name} did not listen on ${port} within ${timeoutMs} ms: ${managed.tail.join(' | ') || 'no output'}`);
}

/** A port the OS reports free right now (listen on 0, then close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** VmHWM in bytes from the text of /proc/<pid>/status, or undefined when absent. */
export function parseVmHwmBytes(status: string): number | undefined {
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(status);
  return match?.[1] ? Number(match[1]) * 1024 : undefined;
}

/** Peak resident set (VmHWM) of a process plus its descendants (nginx master and worker), in bytes. */
export function peakRssBytes(pid: number, depth = 0): number {
  let own = 0;
  try {
    own = parseVmHwmBytes(readFileSync(`/proc/${pid}/status`, 'utf8')) ?? 0;
  } catch {
    return 0;
  }
  const descendants = depth < 3 ? childrenOf(pid).reduce((sum, child) => sum + peakRssBytes(child, depth + 1), 0) : 0;
  return own + descendants;
}

/** Linux's USER_HZ (`getconf CLK_TCK`): the unit of the CPU times in /proc/<pid>/stat. */
const CLOCK_TICKS_PER_S = 100;

/** utime + stime in clock ticks from the text of /proc/<pid>/stat (fields 14 and 15), or undefined when malformed. */
export function parseCpuTicks(stat: string): number | undefined {
  // The command name (field 2) is in parentheses and may itself hold spaces and parentheses.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const [utime, stime] = [Number(fields[11]), Number(fields[12])];
  return Number.isInteger(utime) && Number.isInteger(stime) ? utime + stime : undefined;
}

/** CPU time (user + system) a process and its descendants (nginx master and worker) have used so far, in ms. */
export function cpuTimeMs(pid: number, depth = 0): number {
  let ticks = 0;
  try {
    ticks = parseCpuTicks(readFileSync(`/proc/${pid}/stat`, 'utf8')) ?? 0;
  } catch {
    return 0;
  }
  const descendants = depth < 3 ? childrenOf(pid).reduce((sum, child) => sum + cpuTimeMs(child, depth + 1), 0) : 0;
  return (ticks * 1000) / CLOCK_TICKS_PER_S + descendants;
}

export interface ToolRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a load generator pinned to LOAD_CPU; it is killed (whole group) if it outlives `capMs`. */
export function runTool(name: string, command: string, args: readonly string[], capMs: number): Promise<ToolRun> {
  return new Promise((resolve) => {
    const child = spawn('taskset', ['-c', String(LOAD_CPU), command, ...args], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const managed: Managed = { name, pid: child.pid ?? -1, child, tail: [], exited: false };
    if (child.pid !== undefined) running.add(managed);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => err.push(chunk));
    const timer = setTimeout(() => signalGroup(managed.pid, 'SIGKILL'), capMs);
    const finish = (code: number | null, extra = '') => {
      clearTimeout(timer);
      running.delete(managed);
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') + extra });
    };
    child.on('error', (e) => finish(null, String(e)));
    child.on('close', (code) => finish(code));
  });
}
