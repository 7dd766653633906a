import { hostname } from 'node:os';

export type DemoProtocol = 'http' | 'grpc';

export interface DemoConfig {
  host: string;
  port: number;
  protocol: DemoProtocol;
  replica: string;
  version: string;
  /** DEMO_UPSTREAM: the URL `/call` fetches through @trellis/client (the mesh in the app, no sidecar hop). */
  upstream: string | undefined;
}

// The Knative user-container port and the loopback host a sidecar forwards to.
export const DEFAULT_DEMO_PORT = 8080;
export const DEFAULT_DEMO_HOST = '127.0.0.1';

/** Reads HOST, PORT, DEMO_PROTOCOL, TRELLIS_REPLICA, DEMO_VERSION and DEMO_UPSTREAM; throws with a clear message on bad values. */
export function readDemoConfig(env: Readonly<Record<string, string | undefined>>): DemoConfig {
  const port = env['PORT']?.trim() || String(DEFAULT_DEMO_PORT);
  if (!/^\d+$/.test(port) || Number(port) > 65535) throw new Error(`PORT must be a port number (0-65535), got "${port}"`);
  const protocol = env['DEMO_PROTOCOL']?.trim() || 'http';
  if (protocol !== 'http' && protocol !== 'grpc') throw new Error(`DEMO_PROTOCOL must be http or grpc, got "${protocol}"`);
  const upstream = env['DEMO_UPSTREAM']?.trim() || undefined;
  if (upstream !== undefined && !/^http:\/\/[^/\s]+(\/\S*)?$/.test(upstream)) throw new Error(`DEMO_UPSTREAM must be an http:// URL, got "${upstream}"`);
  if (upstream !== undefined && protocol !== 'http') throw new Error('DEMO_UPSTREAM needs DEMO_PROTOCOL=http (the /call route is HTTP)');
  return {
    upstream,
    host: env['HOST']?.trim() || DEFAULT_DEMO_HOST,
    port: Number(port),
    protocol,
    replica: env['TRELLIS_REPLICA']?.trim() || `${hostname()}-${process.pid}`,
    version: env['DEMO_VERSION']?.trim() || 'v1',
  };
}
