import type { EventEmitter } from 'node:events';
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { ConfigError } from '../config/errors';
import { ServerRequest } from './server-request';

/**
 * Which HTTP/1.1 server the proxy's listeners run: Trellis's own (server.ts, the default) or Node's
 * node:http as the fallback. Both hand the roles a request and a response with the members below, so
 * the exchanges and everything behind them do not know which one runs.
 */
export type Http1ServerKind = 'trellis' | 'node';

export const HTTP1_SERVER_VARIABLE = 'TRELLIS_HTTP1_SERVER';

/** Reads TRELLIS_HTTP1_SERVER: unset or `trellis`, or `node`; anything else is a ConfigError. */
export function http1ServerKind(env: NodeJS.ProcessEnv = process.env): Http1ServerKind {
  const value = env[HTTP1_SERVER_VARIABLE];
  if (value === undefined || value === '' || value === 'trellis') return 'trellis';
  if (value === 'node') return 'node';
  throw new ConfigError(HTTP1_SERVER_VARIABLE, `expected trellis or node, got ${JSON.stringify(value.slice(0, 32))}`);
}

/**
 * A request of either server: both have the members the roles read (method, url, httpVersion, headers,
 * rawHeaders, socket); the body is read through `requestBody`.
 */
export type IncomingRequest = IncomingMessage | ServerRequest;

/** The request body: an IncomingMessage is its own body; a ServerRequest makes its body stream when first asked. */
export function requestBody(req: IncomingRequest): Readable {
  return req instanceof ServerRequest ? req.body : req;
}

/** The response members the roles use: Node's ServerResponse has them, and so does ours. */
export interface OutgoingResponse extends EventEmitter {
  readonly headersSent: boolean;
  readonly writableFinished: boolean;
  writeHead(status: number, headers?: OutgoingHttpHeaders): unknown;
  write(chunk: Buffer | string): boolean;
  end(chunk?: Buffer | string): unknown;
  destroy(err?: Error): unknown;
  setHeader(name: string, value: string): unknown;
}
