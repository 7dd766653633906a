import http from 'node:http';
import http2, { type Http2Session, type ServerHttp2Stream, type IncomingHttpHeaders } from 'node:http2';
import net, { type Socket } from 'node:net';
import type { Logger } from 'pino';
import { Http1Server } from '../http1/server';
import { http1ServerKind, type IncomingRequest, type OutgoingResponse } from '../http1/server-kind';
import { EXCLUSIVE_LISTEN, HAND_OFF_GRACE_MS } from '../listen';
import { clientErrorCode, errorHeaders, errorResponse, rawErrorResponse } from '../proxy-error';
import { h1Exchange, h2Exchange, type Exchange } from './exchange';

/** RFC 9113 section 3.4: the client connection preface of HTTP/2 with prior knowledge. */
const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
/** Ours: a connection that sends nothing to tell HTTP/1.1 from HTTP/2 within this time is closed. */
export const PROTOCOL_DETECT_TIMEOUT_MS = 10_000;
/** Node's default; larger request heads get 431. */
export const MAX_HEADER_BYTES = 16 * 1024;
/** Ours: on close, connections still busy after this long are cut. */
export const SHUTDOWN_GRACE_MS = 5_000;

export interface OutboundListener {
  host: string;
  port: number;
  /** The listening server, for the overload manager's connection guard. */
  server: net.Server;
  /**
   * Hot restart: stops listening (the next generation takes new connections), asks HTTP/2 clients to go away and
   * ends each HTTP/1.1 connection after its next response, which says `connection: close`; idle connections stay
   * until their next request or their keep-alive timeout, since their client may be sending on them right now.
   * Once every connection has ended, or after HAND_OFF_GRACE_MS, `close()`. Idempotent.
   */
  handOff(): Promise<void>;
  /** Stops listening, closes idle connections at once and busy ones after their request (at most SHUTDOWN_GRACE_MS). */
  close(): Promise<void>;
}

/** Decides from the first bytes: the HTTP/2 preface, or anything else (HTTP/1.1). Null: need more. */
function detect(buffered: Buffer): 'h2' | 'h1' | null {
  const n = Math.min(buffered.length, H2_PREFACE.length);
  if (buffered.subarray(0, n).equals(H2_PREFACE.subarray(0, n))) return n === H2_PREFACE.length ? 'h2' : null;
  return 'h1';
}

/** The HTTP/1.1 side of the listener: requests, CONNECT (a tunnel) and upgrades (refused). */
interface Http1Handlers {
  request(req: IncomingRequest, res: OutgoingResponse): void;
  connect(req: IncomingRequest, socket: Socket, head: Buffer): void;
  upgrade(req: IncomingRequest, socket: Socket): void;
}

/** The HTTP/1.1 server of the listener, whichever it is: takes detected connections, hands them off. */
interface Http1Side {
  accept(socket: Socket): void;
  /** Hot restart: each connection ends after its next response that can still say `connection: close`. */
  handOff(): void;
}

/** Node's HTTP/1.1 server (TRELLIS_HTTP1_SERVER=node); malformed requests get 400/431 from `clientError`. */
function nodeHttp1(handlers: Http1Handlers): Http1Side {
  const h1 = http.createServer({ maxHeaderSize: MAX_HEADER_BYTES }, handlers.request);
  h1.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable || err.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    socket.end(rawErrorResponse(clientErrorCode(err.code)));
  });
  h1.on('connect', handlers.connect);
  h1.on('upgrade', handlers.upgrade);
  return {
    accept: (socket) => {
      h1.emit('connection', socket);
      socket.resume();
    },
    // Node's server keeps no list to walk: it ends a connection after a response with `connection: close`,
    // which the listener sets on every request that arrives while closing.
    handOff: () => undefined,
  };
}

/** Trellis's HTTP/1.1 server (the default); it answers malformed requests itself. */
function trellisHttp1(handlers: Http1Handlers): Http1Side {
  const h1 = new Http1Server(handlers.request, { onConnect: handlers.connect, onUpgrade: handlers.upgrade });
  return { accept: (socket) => h1.accept(socket), handOff: () => h1.closeAfterNextResponses() };
}

/**
 * One port for HTTP/1.1 and HTTP/2 with prior knowledge: each connection's first bytes are read,
 * put back, and the socket handed to the HTTP/1.1 server (TRELLIS_HTTP1_SERVER: ours or Node's) or
 * Node's HTTP/2 server. Malformed HTTP/1.1 requests get 400/431; upgrades get 501.
 */
export function startListener(opts: {
  host: string;
  port: number;
  logger: Logger;
  handle: (ex: Exchange) => Promise<void>;
}): Promise<OutboundListener> {
  const { logger, handle } = opts;
  const sockets = new Set<Socket>();
  const sessions = new Set<Http2Session>();
  // Requests in progress per HTTP/1.1 connection: Node tracks idle connections only for servers
  // that listen themselves, and ours receives its sockets from the protocol detector. An idle
  // connection keeps its entry (0) until it closes: deleting the last entry of a Map shrinks its
  // table, which a request per connection would pay for every time.
  const h1Busy = new Map<Socket, number>();
  const h2Sockets = new WeakSet<Socket>();
  let closing = false;
  // The request path answers every error itself; anything reaching here is a bug, logged, never fatal.
  const onHandlerError = (err: unknown) => logger.error({ err }, 'outbound request handler failed');

  const requestDone = (socket: Socket) => {
    const busy = h1Busy.get(socket);
    if (busy !== undefined) h1Busy.set(socket, Math.max(0, busy - 1));
  };
  const onRequest = (req: IncomingRequest, res: OutgoingResponse) => {
    const socket = req.socket;
    h1Busy.set(socket, (h1Busy.get(socket) ?? 0) + 1);
    if (closing) res.setHeader('connection', 'close');
    let ex: Exchange;
    try {
      ex = h1Exchange(req, res, requestDone);
    } catch (err) {
      res.once('close', () => requestDone(socket));
      const e = errorResponse(err);
      res.writeHead(e.status, errorHeaders(e, false));
      res.end(`${e.reason}\n`);
      return;
    }
    handle(ex).catch(onHandlerError);
  };
  // CONNECT to a plain-HTTP port opens a tunnel whose requests go through this same proxy
  // (their Host header names the service), so HTTPS_PROXY-style clients work; TLS ports are refused.
  const onConnect = (req: IncomingRequest, socket: Socket, head: Buffer) => {
    const port = /:(\d+)$/.exec(req.url ?? '')?.[1];
    if (port === undefined || port === '443') {
      socket.end(rawErrorResponse('CONNECT_TO_TLS_PORT', 'allow: GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS\r\n'));
      return;
    }
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length > 0) socket.unshift(head);
    detectProtocol(socket);
  };
  const onUpgrade = (_req: IncomingRequest, socket: Socket) => {
    socket.end(rawErrorResponse('UPGRADE_UNSUPPORTED'));
  };
  const handlers = { request: onRequest, connect: onConnect, upgrade: onUpgrade };
  const h1 = http1ServerKind() === 'node' ? nodeHttp1(handlers) : trellisHttp1(handlers);

  const h2 = http2.createServer({ maxHeaderListPairs: 256 });
  h2.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, flags: number) => {
    try {
      handle(h2Exchange(stream, headers, flags)).catch(onHandlerError);
    } catch (err) {
      onHandlerError(err);
    }
  });
  h2.on('session', (session: Http2Session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
    session.on('error', (err) => logger.debug({ err: err.message }, 'outbound HTTP/2 session error'));
  });

  function detectProtocol(socket: Socket): void {
    let buffered: Buffer = Buffer.alloc(0);
    const timer = setTimeout(() => socket.destroy(), PROTOCOL_DETECT_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      const protocol = detect(buffered);
      if (protocol === null) return;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.pause();
      socket.unshift(buffered);
      if (protocol === 'h2') {
        h2Sockets.add(socket);
        h2.emit('connection', socket);
      } else h1.accept(socket);
    };
    socket.on('data', onData);
    socket.once('close', () => clearTimeout(timer));
    socket.resume();
  }

  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => {
      sockets.delete(socket);
      h1Busy.delete(socket);
    });
    socket.on('error', () => socket.destroy());
    socket.setNoDelay(true);
    detectProtocol(socket);
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: opts.host, port: opts.port, exclusive: EXCLUSIVE_LISTEN }, () => {
      server.off('error', reject);
      server.on('error', (err) => logger.error({ err }, 'outbound listener error'));
      const address = server.address() as net.AddressInfo;
      // Resolves once the server has stopped listening and its last connection has ended.
      let ended: Promise<void> | undefined;
      const stopListening = () => (ended ??= new Promise<void>((done) => server.close(() => done())));
      let closed: Promise<void> | undefined;
      const close = () =>
        (closed ??= new Promise<void>((done) => {
          closing = true;
          void stopListening().then(done);
          for (const s of sockets) if (!h2Sockets.has(s) && (h1Busy.get(s) ?? 0) === 0) s.destroy();
          for (const s of sessions) s.close();
          const force = setTimeout(() => {
            for (const s of sockets) s.destroy();
          }, SHUTDOWN_GRACE_MS);
          force.unref();
          if (sockets.size === 0) clearTimeout(force);
          server.once('close', () => clearTimeout(force));
        }));
      let handingOff: Promise<void> | undefined;
      const handOff = () =>
        (handingOff ??= (async () => {
          closing = true;
          const stopped = stopListening();
          h1.handOff();
          for (const s of sessions) s.close();
          let timer: NodeJS.Timeout | undefined;
          const grace = new Promise<void>((done) => (timer = setTimeout(done, HAND_OFF_GRACE_MS)));
          await Promise.race([stopped, grace]);
          clearTimeout(timer);
          await close();
        })());
      resolve({ host: address.address, port: address.port, server, handOff, close });
    });
  });
}
