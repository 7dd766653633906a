import type { Socket } from 'node:net';
import { clientErrorCode, rawErrorResponse, type ProxyErrorCode } from '../proxy-error';
import { RequestParseError, RequestParser, type RequestHead } from './request-parser';
import { ServerRequest } from './server-request';
import { ServerResponse, type ResponseOwner } from './server-response';

import { HEAD_TIMEOUT_MS, KEEP_ALIVE_TIMEOUT_MS, MAX_PIPELINED_BYTES } from './server-limits';

const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n';

/** The status of each parse refusal, as the proxy's error table names it. */
function refusalCode(err: RequestParseError): ProxyErrorCode {
  switch (err.status) {
    case 431:
      return 'HEADERS_TOO_LARGE';
    case 414:
      return 'URI_TOO_LONG';
    case 501:
      return 'TRANSFER_CODING_UNSUPPORTED';
    case 505:
      return 'HTTP_VERSION_UNSUPPORTED';
    default:
      return 'BAD_REQUEST';
  }
}

export type RequestListener = (req: ServerRequest, res: ServerResponse) => void;
/** A CONNECT request: the socket is the tunnel's from now on, `head` the bytes that followed the request. */
export type ConnectListener = (req: ServerRequest, socket: Socket, head: Buffer) => void;

export interface Http1ServerOptions {
  /** CONNECT requests; without it they are refused by closing the connection. */
  onConnect?: ConnectListener;
  /** Requests that ask for a protocol upgrade; without it they are ordinary requests. */
  onUpgrade?: ConnectListener;
}

/**
 * One client connection. Requests are answered one at a time, in order: the bytes of pipelined
 * requests wait in the parser until the current response has gone out (and its request body has
 * been read), up to MAX_PIPELINED_BYTES, after which reading pauses.
 *
 * States: idle (keep-alive timeout) -> head arriving (head timeout) -> in request (no timeout: the
 * roles bound requests) -> idle | closing (after a response that ends the connection) -> closed.
 */
class Connection implements ResponseOwner {
  private readonly parser: RequestParser;
  private req: ServerRequest | undefined;
  private res: ServerResponse | undefined;
  private requestEnded = false;
  private bodyPaused = false;
  /** A CONNECT or upgrade request whose connection leaves once the parser has put the bytes after it aside. */
  private handingOver: { req: ServerRequest; listener: ConnectListener | undefined } | undefined;
  private closing = false;
  /**
   * The idle or head timeout in force (0: none) and its one timer, re-armed with refresh(): a
   * socket timeout would cost a new timer and a bound function at every response. As a socket
   * timeout, it runs from the last bytes received.
   */
  private timeoutMs = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerMs = 0;

  constructor(
    private readonly server: Http1Server,
    readonly socket: Socket,
  ) {
    this.parser = new RequestParser({
      onHead: (head) => this.onHead(head),
      onBody: (chunk) => this.onBody(chunk),
      onEnd: () => this.onEnd(),
    });
    socket.on('data', this.onData);
    socket.on('drain', this.onDrain);
    socket.on('error', this.onError);
    socket.once('close', this.onClose);
    this.setIdleTimeout(HEAD_TIMEOUT_MS);
  }

  /** No request in progress and none partly received. */
  get idle(): boolean {
    return this.res === undefined && !this.parser.inMessage;
  }

  /** Ends the connection once its current response is out (at once when idle). */
  closeWhenIdle(): void {
    this.closing = true;
    if (this.idle) this.socket.destroy();
    else this.res?.closeConnectionAfter();
  }

  /**
   * Hand-off: ends the connection after the first response whose head is not out yet, which says `connection:
   * close`. A response already under way keeps its keep-alive (closing after it could meet the client's next
   * request on the wire); an idle connection ends after its next request, or at its keep-alive timeout.
   */
  closeAfterNextResponse(): void {
    this.closing = true;
    if (this.res !== undefined && !this.res.headersSent) this.res.closeConnectionAfter();
  }

  responseFinished(res: ServerResponse, close: boolean): void {
    if (res !== this.res) return;
    this.res = undefined;
    // A body still arriving after its answer could be read as the next request: end instead.
    if (close || this.closing || !this.requestEnded) {
      this.socket.end();
      return;
    }
    this.req = undefined;
    this.setIdleTimeout(this.parser.bufferedBytes > 0 ? HEAD_TIMEOUT_MS : KEEP_ALIVE_TIMEOUT_MS);
    if (this.socket.isPaused()) this.socket.resume();
    this.parse(undefined);
  }

  private readonly onData = (chunk: Buffer): void => {
    this.parse(chunk);
    // Bytes that started a request disarmed the timeout (a request has no timeout here); others re-arm it.
    if (this.timeoutMs !== 0) this.timer?.refresh();
    if (this.res !== undefined && this.parser.bufferedBytes > MAX_PIPELINED_BYTES) this.socket.pause();
  };

  /** Parses `chunk`, or (undefined) the bytes held after the last request. */
  private parse(chunk: Buffer | undefined): void {
    try {
      if (chunk === undefined) this.parser.next();
      else this.parser.execute(chunk);
    } catch (err) {
      if (!(err instanceof RequestParseError)) throw err;
      this.refuse(err);
      return;
    }
    if (this.handingOver !== undefined) this.handOver(this.handingOver.req, this.handingOver.listener);
  }

  /** A request the parser refused: answered when nothing else is being answered, else the connection is cut. */
  private refuse(err: RequestParseError): void {
    this.parser.takeRest();
    const req = this.req;
    if (req !== undefined && !req.complete) req.destroy(err);
    if (this.res !== undefined || !this.socket.writable) {
      this.socket.destroy();
      return;
    }
    this.closing = true;
    this.socket.end(rawErrorResponse(refusalCode(err)));
  }

  private onHead(head: RequestHead): void {
    this.timeoutMs = 0;
    this.requestEnded = false;
    const req = new ServerRequest(head, this.socket, this.resumeBody);
    this.req = req;
    const options = this.server.options;
    if (head.connect || (head.upgrade !== undefined && options.onUpgrade !== undefined)) {
      this.handingOver = { req, listener: head.connect ? options.onConnect : options.onUpgrade };
      return;
    }
    if (head.unknownExpectation) {
      this.closing = true;
      this.socket.end(rawErrorResponse('EXPECTATION_FAILED'));
      return;
    }
    if (head.expectContinue) this.socket.write(CONTINUE, 'latin1');
    const res = new ServerResponse(this, head.method, head.httpVersion === '1.1', head.keepAlive && !this.closing && !this.server.closing);
    this.res = res;
    this.server.onRequest(req, res);
  }

  /** CONNECT or an upgrade: the socket leaves the HTTP/1.1 server. */
  private handOver(req: ServerRequest, listener: ConnectListener | undefined): void {
    this.handingOver = undefined;
    this.detach();
    if (listener === undefined) {
      this.socket.destroy();
      return;
    }
    listener(req, this.socket, this.parser.takeRest() ?? Buffer.alloc(0));
  }

  private onBody(chunk: Buffer): void {
    const req = this.req;
    if (req === undefined || req.destroyed) return;
    if (!req.push(chunk)) {
      this.bodyPaused = true;
      this.socket.pause();
    }
  }

  private onEnd(): void {
    this.requestEnded = true;
    const req = this.req;
    if (req === undefined) return;
    req.end();
  }

  readonly onFlushed = (err?: Error | null): void => {
    this.res?.flushed(err);
  };

  private readonly resumeBody = (): void => {
    if (!this.bodyPaused) return;
    this.bodyPaused = false;
    this.socket.resume();
  };

  private readonly onDrain = (): void => {
    this.res?.emit('drain');
  };

  private readonly onError = (): void => {
    // 'close' follows; the request and response learn of it there.
  };

  /** Arms the idle or head timeout (0 disarms it; a timer that fires then does nothing). */
  private setIdleTimeout(ms: number): void {
    this.timeoutMs = ms;
    if (ms === 0) return;
    if (this.timer !== undefined && this.timerMs === ms) {
      this.timer.refresh();
      return;
    }
    clearTimeout(this.timer);
    this.timerMs = ms;
    this.timer = setTimeout(this.onTimeout, ms);
    this.timer.unref();
  }

  private readonly onTimeout = (): void => {
    if (this.timeoutMs === 0) return;
    this.timeoutMs = 0;
    if (this.parser.inMessage && this.res === undefined && this.socket.writable) {
      this.closing = true;
      this.socket.end(rawErrorResponse(clientErrorCode('ERR_HTTP_REQUEST_TIMEOUT')));
      return;
    }
    this.socket.destroy();
  };

  private readonly onClose = (): void => {
    clearTimeout(this.timer);
    this.server.forget(this);
    const req = this.req;
    if (req !== undefined && !req.complete && !req.destroyed) req.destroy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
    this.res?.connectionClosed();
    this.res = undefined;
  };

  private detach(): void {
    const socket = this.socket;
    socket.off('data', this.onData);
    socket.off('drain', this.onDrain);
    socket.off('error', this.onError);
    socket.off('close', this.onClose);
    clearTimeout(this.timer);
    this.timeoutMs = 0;
    this.server.forget(this);
  }
}

/**
 * Trellis's own HTTP/1.1 server for the proxy's listeners: the strict request parser
 * (request-parser.ts), responses written in as few writes as possible (server-response.ts),
 * keep-alive and pipelining in order, `Expect: 100-continue` answered at once (as Node does without
 * a checkContinue listener), CONNECT and upgrades handed over. It never listens itself: listeners
 * hand it connections with `accept`.
 */
export class Http1Server {
  private readonly connections = new Set<Connection>();
  /** Set while draining: every response ends its connection. */
  closing = false;

  constructor(
    readonly onRequest: RequestListener,
    readonly options: Http1ServerOptions = {},
  ) {}

  /** Takes a connection (its first bytes may have been unshifted by a protocol detector). */
  accept(socket: Socket): void {
    this.connections.add(new Connection(this, socket));
    socket.resume();
  }

  forget(conn: Connection): void {
    this.connections.delete(conn);
  }

  /** Draining: idle connections close now, busy ones after their current response. */
  closeIdleConnections(): void {
    this.closing = true;
    for (const conn of this.connections) conn.closeWhenIdle();
  }

  /** Hand-off (hot restart): every connection ends after its next response that can still say `connection: close`. */
  closeAfterNextResponses(): void {
    this.closing = true;
    for (const conn of this.connections) conn.closeAfterNextResponse();
  }

  /** Cuts every connection. */
  closeAllConnections(): void {
    for (const conn of this.connections) conn.socket.destroy();
  }
}
