import net from 'node:net';
import type { Readable } from 'node:stream';
import { ResponseParser, type Fields } from './response-parser';

/** Ours: requests waiting for a connection once every connection to the endpoint is busy. */
export const MAX_QUEUED_REQUESTS = 10_000;
/** Error code of a connection not established within the connect timeout. */
export const CONNECT_TIMEOUT_CODE = 'HTTP1_CONNECT_TIMEOUT';
/** Failures of a request that never left the pool: the caller may send it elsewhere. */
export const NOT_SENT_CODES: ReadonlySet<string> = new Set(['HTTP1_POOL_CLOSED']);
/** RFC 9110 section 9.2.2: methods that may be sent again when a reused connection turns out closed. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

/** Counters shared by the pools of one backend (Envoy's max_connections and max_pending_requests). */
export interface SharedLimits {
  tryAcquire(resource: 'connections' | 'pending'): boolean;
  release(resource: 'connections' | 'pending'): void;
}

/** Opens a connection; `readyEvent` is the socket's event once requests may flow (`secureConnect` for TLS). */
export type Connector = (host: string, port: number) => { socket: net.Socket; readyEvent: 'connect' | 'secureConnect' };

const plainConnect: Connector = (host, port) => ({ socket: net.connect({ host, port, noDelay: true }), readyEvent: 'connect' });

export interface PoolOptions {
  maxConnections: number;
  keepAliveMs: number;
  /** Covers the TCP connect and, for TLS, the handshake. */
  connectTimeoutMs: number;
  /** How connections are opened: plain TCP unless given (mutual TLS between proxies). */
  connect?: Connector;
  /** Limits shared with other pools; a refusal fails the request with BREAKER_OVERFLOW_CODE. */
  shared?: SharedLimits;
}

/** Error code of a request refused because the shared connection or pending limit is reached. */
export const BREAKER_OVERFLOW_CODE = 'HTTP1_BREAKER_OVERFLOW';

export interface Http1Request {
  method: string;
  /** Origin form, already validated by the downstream parser. */
  path: string;
  /** Flat [name, value, ...], already validated; no Transfer-Encoding (the pool frames the body). */
  headers: readonly string[];
  body: Buffer | Readable | null;
}

/** What a handler may do to its request: the same verbs as undici's dispatch controller. */
export interface Control {
  pause(): void;
  resume(): void;
  abort(err: Error): void;
}

/** Receives one response. After onResponseEnd or onResponseError nothing more is called. */
export interface ResponseHandler {
  onRequestStart(control: Control): void;
  /** The request's connection is up (at once for a reused one; after connect and any TLS handshake for a new one). */
  onConnected?(): void;
  onResponseStart(control: Control, status: number, headers: Fields): void;
  onResponseData(control: Control, chunk: Buffer): void;
  onResponseEnd(control: Control, trailers: Fields): void;
  onResponseError(control: Control, err: Error): void;
}

function codedError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

function hasContentLength(headers: readonly string[]): boolean {
  for (let i = 0; i < headers.length; i += 2) if ((headers[i] as string).toLowerCase() === 'content-length') return true;
  return false;
}

/** The request head; the body's framing is ours: Content-Length for a buffer, the client's length or chunked for a stream. */
function requestHead(req: Http1Request): { head: string; chunked: boolean } {
  let head = `${req.method} ${req.path} HTTP/1.1\r\n`;
  const buffered = Buffer.isBuffer(req.body);
  const h = req.headers;
  for (let i = 0; i < h.length; i += 2) {
    if (buffered && (h[i] as string).toLowerCase() === 'content-length') continue;
    head += `${h[i] as string}: ${h[i + 1] as string}\r\n`;
  }
  let chunked = false;
  if (buffered) head += `content-length: ${(req.body as Buffer).length}\r\n`;
  else if (req.body !== null && !hasContentLength(h)) {
    head += 'transfer-encoding: chunked\r\n';
    chunked = true;
  }
  return { head: `${head}\r\n`, chunked };
}

/** One request on one connection, from dispatch to the end (or failure) of its response. */
class Exchange implements Control {
  connection: Connection | undefined;
  finished = false;
  /** Holds a `pending` unit of the shared limits while queued. */
  pendingUnit = false;
  requestSent = false;
  retried = false;

  constructor(
    readonly request: Http1Request,
    readonly handler: ResponseHandler,
  ) {}

  pause(): void {
    this.connection?.socket.pause();
  }

  resume(): void {
    this.connection?.socket.resume();
  }

  abort(err: Error): void {
    if (this.finished) return;
    this.fail(err);
    this.connection?.socket.destroy();
  }

  fail(err: Error): void {
    if (this.finished) return;
    this.finished = true;
    this.handler.onResponseError(this, err);
  }

  /** A request that never reached a server which was closing an idle connection may be sent again. */
  replayable(): boolean {
    const body = this.request.body;
    return !this.retried && IDEMPOTENT.has(this.request.method) && (body === null || Buffer.isBuffer(body));
  }
}

/** A keep-alive connection: idle, or carrying exactly one exchange. */
class Connection {
  readonly socket: net.Socket;
  readonly parser: ResponseParser;
  exchange: Exchange | undefined;
  /** Set once a response has completed on it: a later failure may be the server closing it while idle. */
  reused = false;
  private connected = false;
  private lastError: Error | undefined;
  private readonly keepAliveMs: number;
  /**
   * The keep-alive timer, made at the first park and re-armed (refresh) at every later one rather
   * than a socket timeout, which costs a new timer per park. It may fire while the connection
   * carries a request: only a parked connection is closed by it.
   */
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly readyEvent: 'connect' | 'secureConnect';

  constructor(
    private readonly pool: Http1Pool,
    host: string,
    port: number,
    options: PoolOptions,
  ) {
    this.keepAliveMs = options.keepAliveMs;
    this.parser = new ResponseParser({
      onHead: (status, headers) => {
        const ex = this.exchange;
        if (ex !== undefined && !ex.finished) ex.handler.onResponseStart(ex, status, headers);
      },
      onBody: (chunk) => {
        const ex = this.exchange;
        if (ex !== undefined && !ex.finished) ex.handler.onResponseData(ex, chunk);
      },
      onEnd: (trailers) => this.responseEnded(trailers),
    });
    const { socket, readyEvent } = (options.connect ?? plainConnect)(host, port);
    this.socket = socket;
    this.readyEvent = readyEvent;
    // The connect timeout, cleared once connected (a parked connection's keep-alive is `idleTimer`).
    this.socket.setTimeout(options.connectTimeoutMs, () => {
      if (!this.connected) this.socket.destroy(codedError(`connect timeout after ${options.connectTimeoutMs} ms`, CONNECT_TIMEOUT_CODE));
    });
    this.socket.once(readyEvent, () => {
      this.connected = true;
      this.socket.setTimeout(0);
    });
    this.socket.on('data', (chunk: Buffer) => this.received(chunk));
    this.socket.on('error', (err) => {
      this.lastError = err;
    });
    this.socket.once('close', () => this.closed());
    this.socket.once('end', () => this.socket.end());
  }

  start(ex: Exchange): void {
    this.exchange = ex;
    ex.connection = this;
    this.parser.expect(ex.request.method);
    ex.handler.onRequestStart(ex);
    if (ex.finished) return;
    if (this.connected) ex.handler.onConnected?.();
    else if (ex.handler.onConnected !== undefined) this.socket.once(this.readyEvent, () => ex.finished || ex.handler.onConnected?.());
    this.send(ex);
  }

  /** Heads are written as latin1, one byte per character, as the parsers read them (and as Node writes headers). */
  private send(ex: Exchange): void {
    const { head, chunked } = requestHead(ex.request);
    const body = ex.request.body;
    if (body === null) {
      this.socket.write(head, 'latin1');
      ex.requestSent = true;
      return;
    }
    if (Buffer.isBuffer(body)) {
      this.socket.cork();
      this.socket.write(head, 'latin1');
      if (body.length > 0) this.socket.write(body);
      this.socket.uncork();
      ex.requestSent = true;
      return;
    }
    this.socket.write(head, 'latin1');
    // A streamed body is read only once connected, so a refused connection leaves it unread (and sendable elsewhere).
    if (this.connected) this.streamBody(ex, body, chunked);
    else this.socket.once(this.readyEvent, () => this.streamBody(ex, body, chunked));
  }

  private streamBody(ex: Exchange, body: Readable, chunked: boolean): void {
    const socket = this.socket;
    const onData = (chunk: Buffer) => {
      if (chunk.length === 0) return;
      let ok: boolean;
      if (chunked) {
        socket.cork();
        socket.write(`${chunk.length.toString(16)}\r\n`);
        socket.write(chunk);
        ok = socket.write('\r\n');
        socket.uncork();
      } else ok = socket.write(chunk);
      if (!ok) {
        body.pause();
        socket.once('drain', () => body.resume());
      }
    };
    body.on('data', onData);
    body.once('end', () => {
      if (chunked) socket.write('0\r\n\r\n');
      ex.requestSent = true;
    });
    body.once('error', (err) => ex.abort(err));
    socket.once('close', () => body.off('data', onData));
  }

  private received(chunk: Buffer): void {
    if (this.exchange === undefined) {
      // Nothing was asked: a server that talks now breaks the framing of the next response.
      this.socket.destroy();
      return;
    }
    try {
      this.parser.execute(chunk);
    } catch (err) {
      this.exchange?.abort(err as Error);
    }
  }

  private responseEnded(trailers: Fields): void {
    const ex = this.exchange;
    this.exchange = undefined;
    if (ex === undefined) return;
    const reusable = this.parser.keepAlive && ex.requestSent && !ex.finished;
    if (!ex.finished) {
      ex.finished = true;
      ex.handler.onResponseEnd(ex, trailers);
    }
    if (!reusable || this.socket.destroyed) {
      this.socket.destroy();
      return;
    }
    this.reused = true;
    this.socket.resume();
    this.pool.released(this);
  }

  /** Called when the pool parks this connection. */
  park(): void {
    if (this.idleTimer === undefined) {
      this.idleTimer = setTimeout(() => {
        if (this.exchange === undefined) this.socket.destroy();
      }, this.keepAliveMs);
      this.idleTimer.unref();
    } else this.idleTimer.refresh();
  }

  private closed(): void {
    clearTimeout(this.idleTimer);
    this.pool.forget(this);
    const ex = this.exchange;
    if (ex === undefined || ex.finished) {
      this.exchange = undefined;
      return;
    }
    if (this.parser.started) {
      // A body delimited by the close ends here (responseEnded); anything else was cut short.
      try {
        this.parser.finish();
      } catch (err) {
        ex.fail(err as Error);
      }
      this.exchange = undefined;
      return;
    }
    this.exchange = undefined;
    if (this.reused && ex.replayable()) {
      ex.retried = true;
      ex.connection = undefined;
      this.pool.retry(ex);
      return;
    }
    ex.fail(this.lastError ?? codedError('the upstream connection closed before a response', 'ECONNRESET'));
  }
}

/**
 * HTTP/1.1 connections to one endpoint: at most maxConnections, one request at a time each
 * (no pipelining), idle ones reused last-in first-out and closed after keepAliveMs.
 */
export class Http1Pool {
  private readonly idle: Connection[] = [];
  private readonly all = new Set<Connection>();
  private readonly queue: Exchange[] = [];
  private closing: (() => void) | undefined;
  private closedPromise: Promise<void> | undefined;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly options: PoolOptions,
  ) {}

  dispatch(request: Http1Request, handler: ResponseHandler): void {
    const ex = new Exchange(request, handler);
    if (this.closedPromise !== undefined) {
      ex.fail(codedError('the connection pool is closed', 'HTTP1_POOL_CLOSED'));
      return;
    }
    this.assign(ex);
  }

  private assign(ex: Exchange, fresh = false): void {
    if (!fresh) {
      const conn = this.idle.pop();
      if (conn !== undefined) {
        conn.start(ex);
        return;
      }
    }
    const shared = this.options.shared;
    if (this.all.size < this.options.maxConnections && (shared === undefined || shared.tryAcquire('connections'))) {
      const conn = new Connection(this, this.host, this.port, this.options);
      this.all.add(conn);
      conn.start(ex);
      return;
    }
    // Queue only behind connections of this pool, which will free up; with none, nothing would wake the request.
    if (this.all.size === 0) {
      ex.fail(codedError('no connection may be opened: the backend is at its connection limit', BREAKER_OVERFLOW_CODE));
      return;
    }
    if (this.queue.length >= MAX_QUEUED_REQUESTS) {
      ex.fail(codedError(`${MAX_QUEUED_REQUESTS} requests already wait for a connection`, 'HTTP1_QUEUE_FULL'));
      return;
    }
    if (shared !== undefined) {
      if (!shared.tryAcquire('pending')) {
        ex.fail(codedError('too many requests wait for a connection to the backend', BREAKER_OVERFLOW_CODE));
        return;
      }
      ex.pendingUnit = true;
    }
    this.queue.push(ex);
  }

  /** Takes the next live exchange off the queue, giving back the pending units of those it passes. */
  private dequeue(): Exchange | undefined {
    for (;;) {
      const next = this.queue.shift();
      if (next === undefined) return undefined;
      this.releasePending(next);
      if (!next.finished) return next;
    }
  }

  private releasePending(ex: Exchange): void {
    if (!ex.pendingUnit) return;
    ex.pendingUnit = false;
    this.options.shared?.release('pending');
  }

  /** A request whose reused connection had been closed by the server: sent again on a new connection. */
  retry(ex: Exchange): void {
    if (this.closedPromise !== undefined) {
      ex.fail(codedError('the connection pool is closed', 'HTTP1_POOL_CLOSED'));
      return;
    }
    this.assign(ex, true);
  }

  released(conn: Connection): void {
    const next = this.dequeue();
    if (next !== undefined) {
      conn.start(next);
      return;
    }
    if (this.closedPromise !== undefined) {
      conn.socket.destroy();
      return;
    }
    conn.park();
    this.idle.push(conn);
  }

  forget(conn: Connection): void {
    if (!this.all.delete(conn)) return;
    this.options.shared?.release('connections');
    const i = this.idle.indexOf(conn);
    if (i >= 0) this.idle.splice(i, 1);
    const queued = this.closedPromise === undefined ? this.dequeue() : undefined;
    if (queued !== undefined) this.assign(queued);
    if (this.all.size === 0) this.closing?.();
  }

  /** Idempotent. Waiting requests fail; requests in flight finish; then every socket is closed. */
  close(): Promise<void> {
    this.closedPromise ??= new Promise<void>((resolve) => {
      this.closing = resolve;
      for (const ex of this.queue.splice(0)) {
        this.releasePending(ex);
        ex.fail(codedError('the connection pool is closed', 'HTTP1_POOL_CLOSED'));
      }
      for (const conn of this.idle.splice(0)) conn.socket.destroy();
      if (this.all.size === 0) resolve();
    });
    return this.closedPromise;
  }
}
