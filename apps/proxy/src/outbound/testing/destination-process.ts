import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { bundleEntry, spawnBundled } from '@trellis/testing';

// The real destination service, bundled once the way `nx build` does (third-party packages stay
// external), so each spawn starts quickly even on a busy machine.
const MAIN = fileURLToPath(new URL('../../../../destination/src/main.ts', import.meta.url));
const BUNDLE = fileURLToPath(new URL('../../../../../dist/test/proxy-outbound/destination.mjs', import.meta.url));
/** Ours: how long the destination may take to log its ports, in milliseconds. */
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
  const { ready, child, kill } = await spawnBundled<{ grpcPort: number; policyPort: number }>({
    name: 'destination',
    bundle: BUNDLE,
    buildWith: 'buildDestination() (apps/proxy/src/outbound/testing/destination-process.ts)',
    args: [
      ...['--source', `fs:${dir}`, '--grpc-port', String(grpcPort), '--admin-port', '0', '--listen-host', '127.0.0.1', '--log-level', 'info'],
      ...(policyPort === undefined ? [] : ['--policy-port', String(policyPort)]),
    ],
    readyMessage: 'listening',
    startTimeoutMs: START_TIMEOUT_MS,
  });
  return { grpcPort: ready.grpcPort, policyPort: ready.policyPort, child, kill };
}
