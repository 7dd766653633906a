import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { requestBody, type IncomingRequest, type OutgoingResponse } from '../http1/server-kind';
import { Exchange } from './exchange';
import { connectionTlsOf, type ConnectionTls } from './mesh-tls';

function onResponseClose(this: OutgoingResponse & { exchange: Http1Exchange }): void {
  this.exchange.closed();
}

/** An HTTP/1.1 exchange over either HTTP/1.1 server's request and response (node:http's or ours). */
export class Http1Exchange extends Exchange {
  readonly isHttp2 = false;
  readonly headers: IncomingHttpHeaders;

  constructor(
    readonly req: IncomingRequest,
    readonly res: OutgoingResponse,
    nowMs: number,
  ) {
    const headers = req.headers;
    super(headers, nowMs);
    this.headers = headers;
    // A shared listener instead of a closure per request.
    (res as OutgoingResponse & { exchange: Http1Exchange }).exchange = this;
    res.once('close', onResponseClose);
  }

  get method(): string {
    return this.req.method ?? 'GET';
  }

  get target(): string {
    return this.req.url ?? '';
  }

  get httpVersion(): string {
    return this.req.httpVersion;
  }

  get body(): Readable {
    return requestBody(this.req);
  }

  get hasBody(): boolean {
    const headers = this.headers;
    return headers['content-length'] !== undefined ? headers['content-length'] !== '0' : headers['transfer-encoding'] !== undefined;
  }

  get connectionTls(): ConnectionTls {
    return connectionTlsOf(this.req.socket);
  }

  get remoteAddress(): string | undefined {
    return this.req.socket?.remoteAddress;
  }

  get remotePort(): number | undefined {
    return this.req.socket?.remotePort;
  }

  protected get responseFinished(): boolean {
    return this.res.writableFinished;
  }

  protected get headersSent(): boolean {
    return this.res.headersSent;
  }

  closed(): void {
    this.end();
  }

  writeHead(status: number, headers: OutgoingHttpHeaders): void {
    this.statusCode = status;
    this.res.writeHead(status, headers);
  }

  write(chunk: Buffer): boolean {
    return this.res.write(chunk);
  }

  onDrain(callback: () => void): void {
    this.res.once('drain', callback);
  }

  addTrailers(): void {
    // HTTP/1.1 clients get no trailers: Node only sends them on chunked responses that announce them.
  }

  endResponse(body?: string | Buffer): void {
    this.res.end(body);
  }

  destroyResponse(err?: Error): void {
    this.res.destroy(err);
  }
}
