import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { InboundServers } from '../listeners';

type Req = IncomingMessage | Http2ServerRequest;
type Res = ServerResponse | Http2ServerResponse;

export interface TestApp {
  readonly port: number;
  /** Requests the app has started handling (probes and all). */
  readonly seen: Array<{ url: string; headers: Record<string, unknown> }>;
  /** Requests currently inside the app. */
  inFlight(): number;
  close(): Promise<void>;
}

function route(req: Req, res: Res): void {
  const url = new URL(req.url ?? '/', 'http://app');
  const ms = Number(url.searchParams.get('ms') ?? '0');
  const text = (status: number, body: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'text/plain', ...headers });
    res.end(body);
  };
  switch (url.pathname) {
    case '/echo': {
      let size = 0;
      req.on('data', (chunk: Buffer) => (size += chunk.length));
      req.on('end', () =>
        text(200, JSON.stringify({ method: req.method, url: req.url, headers: req.headers, bodyBytes: size, httpVersion: req.httpVersion }), {
          'content-type': 'application/json',
        }),
      );
      return;
    }
    case '/slow':
      setTimeout(() => text(200, 'done'), ms);
      return;
    case '/hang':
      return;
    case '/stall-body':
      res.writeHead(200, { 'content-type': 'text/plain' });
      (res as ServerResponse).write('first ');
      setTimeout(() => res.end('last'), ms);
      return;
    case '/hop-by-hop':
      text(200, 'ok', { connection: 'x-private', 'x-private': 'secret', 'keep-alive': 'timeout=5', 'x-public': 'yes' });
      return;
    case '/trailers':
      (res as Http2ServerResponse).addTrailers?.({ 'grpc-status': '0' });
      text(200, 'with trailers');
      return;
    default:
      text(Number(url.searchParams.get('code') ?? '200'), 'hello');
  }
}

/** A small app on 127.0.0.1 (HTTP/1.1 and h2c on one port) for the inbound tests. */
export async function startTestApp(): Promise<TestApp> {
  const seen: TestApp['seen'] = [];
  const state = { active: 0 };
  const servers = new InboundServers((req, res) => {
    seen.push({ url: req.url ?? '', headers: { ...req.headers } });
    state.active++;
    res.once('close', () => state.active--);
    route(req, res);
  });
  const listener = servers.createDetectingListener();
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  return {
    port: (listener.address() as AddressInfo).port,
    seen,
    inFlight: () => state.active,
    close: () =>
      new Promise<void>((resolve) => {
        listener.close(() => resolve());
        servers.destroy();
      }),
  };
}
