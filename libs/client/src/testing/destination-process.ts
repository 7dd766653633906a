import { fileURLToPath } from 'node:url';
import { bundleEntry, spawnBundled } from '@trellis/testing';

// The real destination service (its source is only bundled and spawned, never imported), built once
// the way `nx build` does so each spawn starts quickly on a busy machine.
const MAIN = fileURLToPath(new URL('../../../../apps/destination/src/main.ts', import.meta.url));
const BUNDLE = fileURLToPath(new URL('../../../../dist/test/client/destination.mjs', import.meta.url));
/** Ours: how long the destination may take to log its ports, in milliseconds. */
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
  const { ready, kill } = await spawnBundled<{ grpcPort: number }>({
    name: 'destination',
    bundle: BUNDLE,
    buildWith: 'buildDestination() (libs/client/src/testing/destination-process.ts)',
    args: ['--source', `fs:${dir}`, '--grpc-port', String(grpcPort), '--admin-port', '0', '--listen-host', '127.0.0.1', '--log-level', 'info'],
    readyMessage: 'listening',
    startTimeoutMs: START_TIMEOUT_MS,
  });
  return { grpcPort: ready.grpcPort, kill };
}
