import { createServer as createHttp1Server, type IncomingMessage, type ServerResponse } from 'node:http';
import {
  createServer as createHttp2Server,
  type Http2Server,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type IncomingHttpHeaders,
  type ServerHttp2Session,
  type ServerHttp2Stream,
} from 'node:http2';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { Http1Server as TrellisHttp1Server } from '../http1/server';
import { http1ServerKind, type Http1ServerKind, type IncomingRequest, type OutgoingResponse } from '../http1/server-kind';
import { clientErrorCode, rawErrorResponse } from '../proxy-error';
import { MeshTlsAcceptor, PLAINTEXT, TLS_HANDSHAKE_RECORD, type InboundTls } from './mesh-tls';

/** The HTTP/2 connection preface (RFC 9113 section 3.4): what tells h2c from HTTP/1.1 on one port. */
const HTTP2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
/** A connection that sends nothing for this long is closed (Node's default headersTimeout). */
export const FIRST_BYTES_TIMEOUT_MS = 60_000;
/** Node's default: larger request heads get 431. */
export const MAX_HEADER_BYTES = 16 * 1024;

export type RequestListener = (
  req: IncomingMessage | Http2ServerRequest,
  res: ServerResponse | Http2ServerResponse,
) => void;

/** Handles one HTTP/1.1 request, from either HTTP/1.1 server. */
export type Http1Listener = (req: IncomingRequest, res: OutgoingResponse) => void;
/** Handles one HTTP/2 request on its stream, without Node's compatibility layer. */
export type StreamListener = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => void;

/** Answers a request the HTTP/1.1 parser refused (bad syntax, CL+TE, oversized head), then closes. */
function refuseBadRequest(err: Error & { code?: string }, socket: Socket): void {
  if (!socket.writable || err.code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  socket.end(rawErrorResponse(clientErrorCode(err.code)));
}

/** The HTTP/1.1 server of the listeners, whichever it is: takes detected connections, drains, cuts. */
interface Http1Side {
  accept(socket: Socket): void;
  drain(): void;
  /** Hand-off: each connection ends after its next response that can still say `connection: close`. */
  handOff(): void;
  destroy(): void;
}

function nodeHttp1(listener: (req: IncomingMessage, res: ServerResponse) => void): Http1Side {
  const server = createHttp1Server({ maxHeaderSize: MAX_HEADER_BYTES, requestTimeout: 0 }, listener);
  server.on('clientError', refuseBadRequest);
  return {
    accept: (socket) => {
      // The parser gets the unshifted bytes as 'data' once the socket flows again.
      server.emit('connection', socket);
      socket.resume();
    },
    drain: () => server.closeIdleConnections(),
    // Node's server keeps no list to walk: it ends a connection after a response with `connection: close`,
    // which the role sets on every request that arrives while draining.
    handOff: () => undefined,
    destroy: () => server.closeAllConnections(),
  };
}

function trellisHttp1(listener: Http1Listener): Http1Side {
  const server = new TrellisHttp1Server(listener);
  return {
    accept: (socket) => server.accept(socket),
    drain: () => server.closeIdleConnections(),
    handOff: () => server.closeAfterNextResponses(),
    destroy: () => server.closeAllConnections(),
  };
}

/**
 * The inbound protocol servers: one HTTP/1.1 and one HTTP/2 (h2c) server that never listen
 * themselves; listeners hand them connections. Sessions and sockets are tracked for draining.
 * HTTP/2 requests go to `onStream` when given, else through Node's compatibility layer to `listener`.
 */
export class InboundServers {
  private readonly http1: Http1Side;
  readonly http2: Http2Server;
  private readonly sessions = new Set<ServerHttp2Session>();
  /** Connections whose protocol is not known yet (no bytes received). */
  private readonly undecided = new Set<Socket>();
  private readonly tlsAcceptor: MeshTlsAcceptor | undefined;

  /** A test app's servers: Node's for both protocols, through the HTTP/2 compatibility layer. */
  constructor(listener: RequestListener);
  /** The proxy's: HTTP/1.1 on the server `kind` names (TRELLIS_HTTP1_SERVER), HTTP/2 on raw streams. */
  constructor(listener: Http1Listener, onStream: StreamListener, inboundTls?: InboundTls, kind?: Http1ServerKind);
  constructor(
    listener: RequestListener | Http1Listener,
    onStream?: StreamListener,
    /** Mutual TLS from other proxies, detected on the same port; undefined when this proxy has no identity. */
    private readonly inboundTls?: InboundTls,
    kind: Http1ServerKind = onStream === undefined ? 'node' : http1ServerKind(),
  ) {
    this.http1 = kind === 'node' ? nodeHttp1(listener as RequestListener) : trellisHttp1(listener as Http1Listener);
    const http2Options = { maxSendHeaderBlockLength: MAX_HEADER_BYTES };
    // Without a stream listener, the only listener takes both protocols (first overload).
    if (onStream === undefined) this.http2 = createHttp2Server(http2Options, listener as RequestListener);
    else {
      this.http2 = createHttp2Server(http2Options);
      this.http2.on('stream', onStream);
    }
    this.http2.on('session', (session: ServerHttp2Session) => {
      this.sessions.add(session);
      session.once('close', () => this.sessions.delete(session));
    });
    this.http2.on('sessionError', () => undefined);
    this.tlsAcceptor = inboundTls === undefined ? undefined : new MeshTlsAcceptor(inboundTls, (secure) => this.detect(secure, true));
  }

  /** A listener that detects HTTP/1.1 or h2c by the connection preface. */
  createDetectingListener(): NetServer {
    return createNetServer({ noDelay: true }, (socket) => this.detect(socket));
  }

  /** A listener for h2c with prior knowledge only; with an identity, also mesh mTLS (then HTTP/2 inside). */
  createHttp2Listener(): NetServer {
    const acceptor = this.tlsAcceptor;
    if (acceptor === undefined) return createNetServer({ noDelay: true }, (socket) => this.http2.emit('connection', socket));
    return createNetServer({ noDelay: true }, (socket) => {
      socket.once('data', (first: Buffer) => {
        socket.pause();
        if (first[0] === TLS_HANDSHAKE_RECORD) {
          acceptor.accept(socket, first);
          return;
        }
        this.inboundTls?.onAccepted(PLAINTEXT);
        socket.unshift(first);
        this.http2.emit('connection', socket);
      });
      socket.on('error', () => socket.destroy());
    });
  }

  /** Draining: close idle HTTP/1.1 connections and ask HTTP/2 clients to go away after their streams. */
  drain(): void {
    this.http1.drain();
    this.goAway();
  }

  /** Asks HTTP/2 clients to go away after their streams. */
  goAway(): void {
    for (const session of this.sessions) session.close();
  }

  /**
   * Hot restart: HTTP/2 clients get GOAWAY; each HTTP/1.1 connection ends after its next response that can still
   * say `connection: close`. Idle connections are not closed here: their client may be sending on them right now.
   */
  handOff(): void {
    this.http1.handOff();
    this.goAway();
  }

  /** Cuts every remaining connection (after the drain deadline). */
  destroy(): void {
    for (const socket of this.undecided) socket.destroy();
    this.http1.destroy();
    for (const session of this.sessions) session.destroy();
  }

  /**
   * Reads a connection's first bytes: a TLS handshake (mesh mTLS, when this proxy has an identity) is
   * terminated and the decrypted stream detected again; otherwise the HTTP/2 preface or HTTP/1.1.
   */
  private detect(socket: Socket, decrypted = false): void {
    let buffered: Buffer = Buffer.alloc(0);
    const stopReading = () => {
      this.undecided.delete(socket);
      socket.off('data', onData);
      socket.off('error', onError);
      socket.setTimeout(0);
      socket.pause();
    };
    const handTo = (protocol: 'h1' | 'h2') => {
      stopReading();
      if (!decrypted) this.inboundTls?.onAccepted(PLAINTEXT);
      socket.unshift(buffered);
      // The HTTP/2 session reads the unshifted bytes itself and then owns the socket's handle.
      if (protocol === 'h1') this.http1.accept(socket);
      else this.http2.emit('connection', socket);
    };
    const onData = (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      if (!decrypted && this.tlsAcceptor !== undefined && buffered[0] === TLS_HANDSHAKE_RECORD) {
        stopReading();
        this.tlsAcceptor.accept(socket, buffered);
        return;
      }
      const length = Math.min(buffered.length, HTTP2_PREFACE.length);
      if (buffered.compare(HTTP2_PREFACE, 0, length, 0, length) !== 0) handTo('h1');
      else if (buffered.length >= HTTP2_PREFACE.length) handTo('h2');
    };
    const onError = () => socket.destroy();
    this.undecided.add(socket);
    socket.once('close', () => this.undecided.delete(socket));
    socket.on('data', onData);
    socket.on('error', onError);
    socket.setTimeout(FIRST_BYTES_TIMEOUT_MS, () => socket.destroy());
  }
}
