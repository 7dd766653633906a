import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { Server } from 'node:http';

// Bounds for the demo routes, so a stray request cannot tie a replica up: /slow waits at most 30 s and
// /echo reads at most 1 MiB (the Knative default revision timeout is 300 s; a demo needs far less).
export const MAX_SLOW_MS = 30_000;
export const MAX_ECHO_BYTES = 1024 * 1024;

export interface DemoIdentity {
  /** Which replica answers (the local runner sets TRELLIS_REPLICA to the pod name). */
  replica: string;
  /** Which version of the app answers, to see traffic splits (DEMO_VERSION). */
  version: string;
}

/** What `/call` got from the upstream service. */
export interface UpstreamAnswer {
  status: number;
  body: string;
}

export interface DemoHttpOptions extends DemoIdentity {
  /** In [0, 1); injected so that /fail is testable. */
  random: () => number;
  /** Calls the upstream (DEMO_UPSTREAM) through @trellis/client; without it there is no /call route. */
  callUpstream?: () => Promise<UpstreamAnswer>;
}

type Handler = (req: IncomingMessage, res: ServerResponse, query: URLSearchParams) => void;

function callerOf(req: IncomingMessage): { caller?: string } {
  const caller = req.headers['l5d-client-id'];
  return typeof caller === 'string' ? { caller } : {};
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function numberParam(query: URLSearchParams, name: string, min: number, max: number): number | string {
  const raw = query.get(name);
  if (raw === null) return `missing query parameter ${name}`;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < min || value > max) {
    return `query parameter ${name} must be a number between ${min} and ${max}, got "${raw}"`;
  }
  return value;
}

function callRoute(who: DemoIdentity, call: () => Promise<UpstreamAnswer>): Handler {
  return (_req, res) => {
    call().then(
      (answer) => sendJson(res, 200, { via: 'trellis-client', ...who, upstream: { status: answer.status, body: parseBody(answer.body) } }),
      (err: Error) => sendJson(res, 502, { via: 'trellis-client', ...who, error: err.message, code: (err as { code?: unknown }).code }),
    );
  };
}

function parseBody(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function routes(opts: DemoHttpOptions): Record<string, Handler> {
  const who = { replica: opts.replica, version: opts.version };
  return {
    ...(opts.callUpstream === undefined ? {} : { '/call': callRoute(who, opts.callUpstream) }),
    '/': (_req, res) => sendJson(res, 200, { status: 'ok', ...who }),
    // `caller`: the identity the proxy proved by mTLS (Linkerd's l5d-client-id), when the caller came over the mesh.
    '/hello': (req, res) => sendJson(res, 200, { message: 'hello', ...who, ...callerOf(req) }),
    '/slow': (_req, res, query) => {
      const ms = numberParam(query, 'ms', 0, MAX_SLOW_MS);
      if (typeof ms === 'string') return sendJson(res, 400, { error: ms });
      const timer = setTimeout(() => sendJson(res, 200, { sleptMs: ms, ...who }), ms);
      res.on('close', () => clearTimeout(timer));
    },
    '/fail': (_req, res, query) => {
      const rate = numberParam(query, 'rate', 0, 1);
      if (typeof rate === 'string') return sendJson(res, 400, { error: rate });
      if (opts.random() < rate) return sendJson(res, 500, { error: 'injected failure', ...who });
      sendJson(res, 200, { message: 'survived', ...who });
    },
    '/echo': (req, res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_ECHO_BYTES) {
          sendJson(res, 413, { error: `body larger than ${MAX_ECHO_BYTES} bytes` });
          req.destroy();
          return;
        }
        chunks.push(chunk);
      });
      req.on('end', () => {
        if (res.headersSent) return;
        const body = Buffer.concat(chunks);
        res.writeHead(200, {
          'content-type': req.headers['content-type'] ?? 'application/octet-stream',
          'content-length': body.length,
          'x-trellis-replica': opts.replica,
        });
        res.end(body);
      });
    },
  };
}

/** The demo HTTP service: /hello, /echo, /slow?ms=, /fail?rate=, / (a health answer) and, with an upstream, /call. */
export function createDemoHttpServer(opts: DemoHttpOptions): Server {
  const table = routes(opts);
  return createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://demo');
    const handler = table[url.pathname];
    res.setHeader('x-trellis-replica', opts.replica);
    if (!handler) return sendJson(res, 404, { error: `no route ${url.pathname}`, routes: Object.keys(table) });
    handler(req, res, url.searchParams);
  });
}
