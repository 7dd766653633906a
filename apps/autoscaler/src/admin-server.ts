import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Autoscaler } from './autoscaler';
import { AutoscalerError } from './errors';
import type { AutoscalerMetrics } from './metrics';
import { MAX_POKE_BODY_BYTES, decodePoke } from './poke';

/** Autoscaler admin port (Trellis: destination 9996, autoscaler 9997). */
export const DEFAULT_ADMIN_PORT = 9997;
/** A poke body must arrive within this long. */
const POKE_BODY_TIMEOUT_MS = 5000;

export interface AdminServerOptions {
  host: string;
  port: number;
  autoscaler: Autoscaler;
  metrics: AutoscalerMetrics;
  logger: Logger;
  /** /ready answers 200 only when this is true (source synced). */
  ready: () => boolean;
}

export interface AdminServer {
  readonly port: number;
  close(): Promise<void>;
}

/** `GET /metrics`, `GET /ready`, `GET /live`, `POST /poke`. */
export async function startAdminServer(options: AdminServerOptions): Promise<AdminServer> {
  const server: Server = createServer((req, res) => {
    route(options, req, res).catch((err: unknown) => {
      options.logger.error({ err, url: req.url }, 'admin request failed');
      if (!res.headersSent) send(res, 500, 'text/plain', 'internal error\n');
      else res.destroy();
    });
  });
  server.requestTimeout = POKE_BODY_TIMEOUT_MS;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  let closing: Promise<void> | undefined;
  return {
    port: (server.address() as AddressInfo).port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

async function route(o: AdminServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method === 'GET' && path === '/metrics') {
    send(res, 200, o.metrics.registry.contentType, await o.metrics.registry.metrics());
  } else if (req.method === 'GET' && path === '/live') {
    send(res, 200, 'text/plain', 'ok\n');
  } else if (req.method === 'GET' && path === '/ready') {
    if (o.ready()) send(res, 200, 'text/plain', 'ok\n');
    else send(res, 503, 'text/plain', 'not synced\n');
  } else if (path === '/poke') {
    if (req.method !== 'POST') send(res, 405, 'text/plain', 'use POST\n');
    else await poke(o, req, res);
  } else {
    send(res, 404, 'text/plain', 'not found\n');
  }
}

async function poke(o: AdminServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let messages;
  try {
    messages = decodePoke(req.headers['content-type'], await readBody(req));
  } catch (err) {
    const e = err instanceof AutoscalerError ? err : new AutoscalerError('POKE_BAD_BODY', 'unreadable body', { cause: err });
    o.metrics.pokes.inc({ result: 'bad-request' });
    send(res, e.code === 'POKE_TOO_LARGE' ? 413 : 400, 'application/json', JSON.stringify({ error: e.code, message: e.message }));
    if (e.code === 'POKE_TOO_LARGE') req.destroy();
    return;
  }
  const results = messages.map((m) => {
    const outcome = o.autoscaler.poke(m.namespace, m.name, m.stat);
    o.metrics.pokes.inc({ result: outcome.status });
    return { namespace: m.namespace, name: m.name, ...outcome };
  });
  send(res, 200, 'application/json', JSON.stringify({ results }));
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (declared > MAX_POKE_BODY_BYTES) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_POKE_BODY_BYTES) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function tooLarge(): AutoscalerError {
  return new AutoscalerError('POKE_TOO_LARGE', `body larger than ${MAX_POKE_BODY_BYTES} bytes`);
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
