import { hostname } from 'node:os';

export type DemoProtocol = 'http' | 'grpc';

export interface DemoConfig {
  host: string;
  port: number;
  protocol: DemoProtocol;
  replica: string;
  version: string;
}

// The Knative user-container port and the loopback host a sidecar forwards to.
export const DEFAULT_DEMO_PORT = 8080;
export const DEFAULT_DEMO_HOST = '127.0.0.1';

/** Reads HOST, PORT, DEMO_PROTOCOL, TRELLIS_REPLICA and DEMO_VERSION; throws with a clear message on bad values. */
export function readDemoConfig(env: Readonly<Record<string, string | undefined>>): DemoConfig {
  const port = env['PORT']?.trim() || String(DEFAULT_DEMO_PORT);
  if (!/^\d+$/.test(port) || Number(port) > 65535) throw new Error(`PORT must be a port number (0-65535), got "${port}"`);
  const protocol = env['DEMO_PROTOCOL']?.trim() || 'http';
  if (protocol !== 'http' && protocol !== 'grpc') throw new Error(`DEMO_PROTOCOL must be http or grpc, got "${protocol}"`);
  return {
    host: env['HOST']?.trim() || DEFAULT_DEMO_HOST,
    port: Number(port),
    protocol,
    replica: env['TRELLIS_REPLICA']?.trim() || `${hostname()}-${process.pid}`,
    version: env['DEMO_VERSION']?.trim() || 'v1',
  };
}
