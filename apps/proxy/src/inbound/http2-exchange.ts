import { constants, type IncomingHttpHeaders, type OutgoingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import { Exchange } from './exchange';
import { connectionTlsOf, type ConnectionTls } from './mesh-tls';

type Stream = ServerHttp2Stream & { exchange: Http2Exchange };

// Events the stream emits once ('close', 'wantTrailers') are listened to with on(): once() wraps the listener and
// removes it again, which on a stream costs more than the listener.

function onStreamClose(this: Stream): void {
  this.exchange.closed();
}

/** Stream errors (a reset from the client) end the exchange through 'close'; nothing to do here. */
function ignoreError(): void {}

function onWantTrailers(this: Stream): void {
  this.sendTrailers(this.exchange.trailers ?? {});
}

/**
 * An HTTP/2 exchange straight on the server stream (`respond`, `write`, `sendTrailers`), which costs
 * far less than Node's Http2ServerRequest/Response compatibility layer.
 */
export class Http2Exchange extends Exchange {
  readonly isHttp2 = true;
  readonly httpVersion = '2.0';
  /** Trailers to send once the body has gone (`withTrailers` responses). */
  trailers: OutgoingHttpHeaders | undefined;
  private sentHeaders = false;

  constructor(
    readonly stream: ServerHttp2Stream,
    readonly headers: IncomingHttpHeaders,
    nowMs: number,
  ) {
    super(headers, nowMs);
    (stream as Stream).exchange = this;
    stream.on('close', onStreamClose);
    stream.on('error', ignoreError);
  }

  get method(): string {
    return this.headers[':method'] ?? 'GET';
  }

  get target(): string {
    return this.headers[':path'] ?? '';
  }

  get body(): ServerHttp2Stream {
    return this.stream;
  }

  get hasBody(): boolean {
    return !this.stream.endAfterHeaders;
  }

  get connectionTls(): ConnectionTls {
    return connectionTlsOf(this.stream.session?.socket);
  }

  get remoteAddress(): string | undefined {
    return this.stream.session?.socket?.remoteAddress;
  }

  get remotePort(): number | undefined {
    return this.stream.session?.socket?.remotePort;
  }

  protected get responseFinished(): boolean {
    return this.stream.writableFinished && this.stream.rstCode === constants.NGHTTP2_NO_ERROR;
  }

  protected get headersSent(): boolean {
    return this.sentHeaders;
  }

  closed(): void {
    this.end();
  }

  writeHead(status: number, headers: OutgoingHttpHeaders, withTrailers = false): void {
    const stream = this.stream;
    if (stream.destroyed || stream.closed) return;
    this.statusCode = status;
    this.sentHeaders = true;
    headers[':status'] = status;
    if (withTrailers) stream.on('wantTrailers', onWantTrailers);
    stream.respond(headers, { waitForTrailers: withTrailers });
  }

  override replyTrailersOnly(headers: OutgoingHttpHeaders): void {
    const stream = this.stream;
    this.responseStarted = true;
    if (stream.destroyed || stream.closed) return;
    this.statusCode = 200;
    this.sentHeaders = true;
    stream.respond({ ...headers, ':status': 200 }, { endStream: true });
  }

  write(chunk: Buffer): boolean {
    return this.stream.write(chunk);
  }

  onDrain(callback: () => void): void {
    this.stream.once('drain', callback);
  }

  addTrailers(trailers: OutgoingHttpHeaders): void {
    this.trailers = trailers;
  }

  endResponse(body?: string | Buffer): void {
    const stream = this.stream;
    // respond() has already ended the stream of a HEAD request or a 204/205/304: no body may follow.
    if (stream.destroyed || stream.closed || stream.writableEnded) return;
    stream.end(body);
  }

  destroyResponse(): void {
    this.stream.close(constants.NGHTTP2_INTERNAL_ERROR);
  }
}
