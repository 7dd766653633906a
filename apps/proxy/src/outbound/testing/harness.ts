import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { startFakeDestination, type FakeDestination } from '@trellis/discovery/testing';
import { startOutbound, type Outbound } from '../index';

/** A test backend on loopback that answers with its name, counting the requests it served. */
export interface TestBackend {
  name: string;
  host: string;
  port: number;
  served: number;
  server: http.Server;
  close(): Promise<void>;
}

export async function startBackend(
  name: string,
  handler?: (req: IncomingMessage, res: ServerResponse, backend: TestBackend) => void,
  host = '127.0.0.1',
  port = 0,
): Promise<TestBackend> {
  const backend = { name, host, port: 0, served: 0 } as TestBackend;
  const server = http.createServer((req, res) => {
    backend.served += 1;
    if (handler !== undefined) {
      handler(req, res, backend);
      return;
    }
    req.resume();
    req.on('end', () => res.end(name));
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  backend.port = (server.address() as AddressInfo).port;
  backend.server = server;
  backend.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return backend;
}

export interface Harness {
  destination: FakeDestination;
  outbound: Outbound;
  registry: Registry;
  /** `http://127.0.0.1:<outbound port>` */
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startHarness(env: Record<string, string> = {}): Promise<Harness> {
  const destination = await startFakeDestination();
  const registry = new Registry();
  const outbound = await startOutbound({
    // The fake serves no OutboundPolicies: pointing the policy client at it gets UNIMPLEMENTED, the GetProfile fallback.
    env: { TRELLIS_OUTBOUND_ADDR: '127.0.0.1:0', TRELLIS_DESTINATION_ADDR: `127.0.0.1:${destination.port}`, TRELLIS_POLICY_PORT: String(destination.port), ...env },
    registry,
    logger: pino({ level: process.env['TEST_LOG_LEVEL'] ?? 'silent' }),
  });
  const port = outbound.address?.port ?? 0;
  return {
    destination,
    outbound,
    registry,
    port,
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      await outbound.close();
      await destination.close();
    },
  };
}

/** One HTTP/1.1 request through the proxy with a Host header; resolves with status, headers and body. */
export function get(
  port: number,
  host: string,
  path = '/',
  opts: { method?: string; body?: string; headers?: Record<string, string>; agent?: http.Agent } = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers: { host, ...opts.headers }, agent: opts.agent },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** The value of the first sample of `name` whose labels include every `k="v"` of `labels` (comma-separated); 0 if none. */
export function metric(text: string, name: string, labels: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && labels.split(',').every((p) => l.includes(p)));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}
