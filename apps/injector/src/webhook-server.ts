import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InjectError, reviewPod, type InjectOptions } from '@trellis/inject';
import type { Logger } from 'pino';

/**
 * Ours: the largest AdmissionReview accepted. The API server's own request limit is 3 MiB and a review carries
 * the object (twice for updates); pods are far smaller.
 */
export const MAX_REVIEW_BYTES = 6 * 1024 * 1024;
/** Ours: a review must arrive within the API server's webhook timeout (deploy/: 10 s). */
export const REQUEST_TIMEOUT_MS = 10_000;

export interface WebhookOptions {
  host: string;
  port: number;
  cert: string | Buffer;
  key: string | Buffer;
  inject: Omit<InjectOptions, 'namespaceEnabled' | 'injectByDefault'>;
  logger: Logger;
}

export interface WebhookServer {
  readonly port: number;
  close(): Promise<void>;
}

class BodyTooLarge extends Error {}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_REVIEW_BYTES) throw new BodyTooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = typeof body === 'string' ? `${body}\n` : JSON.stringify(body);
  res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json' }).end(text);
}

async function review(req: IncomingMessage, res: ServerResponse, options: WebhookOptions, namespaceEnabled: boolean): Promise<void> {
  let body: unknown;
  try {
    body = JSON.parse(await readBody(req));
  } catch (err) {
    send(res, err instanceof BodyTooLarge ? 413 : 400, err instanceof BodyTooLarge ? `review larger than ${MAX_REVIEW_BYTES} bytes` : 'body is not JSON');
    return;
  }
  try {
    const answer = reviewPod(body, { ...options.inject, namespaceEnabled });
    const r = answer.response;
    options.logger.info({ uid: r.uid, injected: r.patch !== undefined, allowed: r.allowed, reason: r.status?.message }, 'reviewed');
    send(res, 200, answer);
  } catch (err) {
    if (!(err instanceof InjectError)) throw err;
    send(res, 400, err.message);
  }
}

/**
 * The injection webhook over HTTPS: POST /inject (pods that opted in), POST /inject-namespace (pods of a namespace
 * that opted in), GET /ready and /live. A bad body answers 400 with the reason; nothing a client sends crashes it.
 */
export async function startWebhookServer(options: WebhookOptions): Promise<WebhookServer> {
  const server: Server = createServer({ cert: options.cert, key: options.key, requestTimeout: REQUEST_TIMEOUT_MS }, (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const handle = async () => {
      if (req.method === 'POST' && (path === '/inject' || path === '/inject-namespace')) await review(req, res, options, path === '/inject-namespace');
      else if (req.method === 'GET' && (path === '/ready' || path === '/live')) send(res, 200, 'ok');
      else send(res, 404, 'not found');
    };
    handle().catch((err: unknown) => {
      options.logger.error({ err, path }, 'review failed');
      if (!res.headersSent) send(res, 500, 'internal error');
    });
  });
  server.on('tlsClientError', (err) => options.logger.debug({ err }, 'TLS handshake failed'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  let closing: Promise<void> | undefined;
  return {
    port: (server.address() as AddressInfo).port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
      return closing;
    },
  };
}
