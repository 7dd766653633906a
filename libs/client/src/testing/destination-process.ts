import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { bundleEntry } from '@trellis/testing';

// The real destination service (its source is only bundled and spawned, never imported), built once
// the way `nx build` does so each spawn starts quickly on a busy machine.
const MAIN = fileURLToPath(new URL('../../../../apps/destination/src/main.ts', import.meta.url));
const BUNDLE = fileURLToPath(new URL('../../../../dist/test/client/destination.mjs', import.meta.url));
const START_TIMEOUT_MS = 20_000;

export async function buildDestination(): Promise<void> {
  await bundleEntry(MAIN, BUNDLE);
}

export interface DestinationProcess {
  grpcPort: number;
  kill(): Promise<void>;
}

/** Spawns the destination service on an fs source; resolves once it logs its ports. */
export async function spawnDestination(dir: string, grpcPort = 0): Promise<DestinationProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    [BUNDLE, '--source', `fs:${dir}`, '--grpc-port', String(grpcPort), '--admin-port', '0', '--listen-host', '127.0.0.1', '--log-level', 'info'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline && child.exitCode === null) {
    const line = stdout.split('\n').find((l) => l.includes('"msg":"listening"'));
    if (line !== undefined) return { grpcPort: (JSON.parse(line) as { grpcPort: number }).grpcPort, kill };
    await new Promise((r) => setTimeout(r, 50));
  }
  await kill();
  throw new Error(`destination did not start (exit ${child.exitCode}): ${stderr} ${stdout}`);
}
