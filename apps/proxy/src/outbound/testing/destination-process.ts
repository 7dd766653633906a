import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { bundleEntry } from '@trellis/testing';

// The real destination service, bundled once the way `nx build` does (third-party packages stay
// external), so each spawn starts quickly even on a busy machine.
const MAIN = fileURLToPath(new URL('../../../../destination/src/main.ts', import.meta.url));
const BUNDLE = fileURLToPath(new URL('../../../../../dist/test/proxy-outbound/destination.mjs', import.meta.url));
const START_TIMEOUT_MS = 20_000;

export async function buildDestination(): Promise<void> {
  await bundleEntry(MAIN, BUNDLE);
}

export interface DestinationProcess {
  grpcPort: number;
  /** OutboundPolicies (an ephemeral port, as --grpc-port is given). */
  policyPort: number;
  child: ChildProcess;
  kill(): Promise<void>;
}

/** Spawns the destination service on an fs source; resolves once it logs its ports. Ports 0 or unset: any free port. */
export async function spawnDestination(dir: string, grpcPort = 0, policyPort?: number): Promise<DestinationProcess> {
  const child = spawn(
    process.execPath,
    [
      BUNDLE,
      ...['--source', `fs:${dir}`, '--grpc-port', String(grpcPort), '--admin-port', '0', '--listen-host', '127.0.0.1', '--log-level', 'info'],
      ...(policyPort === undefined ? [] : ['--policy-port', String(policyPort)]),
    ],
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
    if (line !== undefined) {
      const ports = JSON.parse(line) as { grpcPort: number; policyPort: number };
      return { grpcPort: ports.grpcPort, policyPort: ports.policyPort, child, kill };
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  await kill();
  await new Promise((r) => setTimeout(r, 100));
  throw new Error(`destination did not start (exit ${child.exitCode}): ${stderr} ${stdout}`);
}
