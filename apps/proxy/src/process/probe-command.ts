import { readPort, readString, type Env } from '../config/env';
import { ConfigError } from '../config/errors';
import { DEFAULT_ADMIN_PORT } from '../config/inbound-config';
import type { Command } from './command-line';
import { probeFile } from './file-probe';
import { probeReady, type ProbeOutcome } from './ready-probe';

/** The admin port's address as seen from inside the pod: a wildcard bind is reached on loopback. */
function adminTarget(env: Env): { host: string; port: number } {
  const host = readString(env, 'TRELLIS_INBOUND_HOST', '0.0.0.0');
  const local = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return { host: local, port: readPort(env, 'TRELLIS_ADMIN_PORT', DEFAULT_ADMIN_PORT) };
}

/** Runs one exec probe; resolves with the exit code (0 healthy, 1 not, 2 bad setting) after one line on stderr when not 0. */
export async function runProbeCommand(command: Extract<Command, { kind: 'probe-ready' | 'probe-file' }>, env: Env, stderr: (line: string) => void): Promise<number> {
  let outcome: ProbeOutcome;
  if (command.kind === 'probe-file') outcome = await probeFile(command.path, command.maxAgeMs);
  else {
    let target;
    try {
      target = adminTarget(env);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      stderr(`trellis proxy: invalid configuration: ${err.message}\n`);
      return 2;
    }
    outcome = await probeReady(target, command.periodMs);
  }
  if (outcome.ok) return 0;
  stderr(`trellis proxy: probe failed: ${outcome.reason}\n`);
  return 1;
}
