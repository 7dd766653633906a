import { EventEmitter } from 'node:events';
import { STATUS_CODES, type OutgoingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { commonFieldKey } from './field-names';
import { KEEP_ALIVE_TIMEOUT_MS } from './server-limits';

/** What a response needs from its connection. */
export interface ResponseOwner {
  readonly socket: Socket;
  /**
   * The callback of a response's last socket write, which calls `flushed` on the response being
   * answered: one function per connection rather than one per response (responses go out one at a time).
   */
  readonly onFlushed: (err?: Error | null) => void;
  /** The response has gone out whole; with `close`, the connection must end after it. */
  responseFinished(res: ServerResponse, close: boolean): void;
}

/**
 * As Node's server: tells clients how long an idle connection stays open (KEEP_ALIVE_TIMEOUT_MS), so
 * that they stop reusing it before the server closes it (Node's and undici's agents read it).
 */
/**
 * Ours: a response that ends with a body up to this size goes out with its head in one buffer and
 * one socket write (a copy of at most this much, instead of a corked writev of three chunks).
 */
export const MAX_JOINED_BODY_BYTES = 16 * 1024;
const KEEP_ALIVE_HINT = `keep-alive: timeout=${KEEP_ALIVE_TIMEOUT_MS / 1000}\r\n`;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Node's checkInvalidHeaderChar: HTAB, visible ASCII, SP and obs-text only (no CR or LF: no response splitting).
const INVALID_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
/** The framing fields are the server's to write; a handler's are dropped. */
const FRAMING = new Set(['connection', 'transfer-encoding', 'keep-alive']);

let cachedDate = '';
let cachedSecond = -1;

/** The Date field (RFC 9110 section 6.6.1), formatted once per second as Node's server does. */
function dateField(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== cachedSecond) {
    cachedSecond = second;
    cachedDate = new Date(now).toUTCString();
  }
  return cachedDate;
}

/** A head (latin1: one byte per character) and the whole body in one buffer. */
function joined(head: string, body: string | Buffer, bodyLength: number): Buffer {
  const out = Buffer.allocUnsafe(head.length + bodyLength);
  out.write(head, 0, 'latin1');
  if (typeof body === 'string') out.write(body, head.length, 'utf8');
  else body.copy(out, head.length);
  return out;
}

function invalidHeader(name: string): TypeError {
  return Object.assign(new TypeError(`invalid header ${JSON.stringify(name.slice(0, 64))}`), { code: 'ERR_INVALID_HTTP_HEADER' });
}

/**
 * One response on a raw HTTP/1.1 server connection, with the members of Node's ServerResponse that
 * the roles use. The head waits for the first body bytes or the end, so that a small response goes
 * out in one write (head and body joined, with Content-Length when the whole body is known at the
 * end); otherwise the body is chunked (HTTP/1.1) or delimited by the close (HTTP/1.0).
 *
 * Events as ServerResponse: 'drain', 'finish' (everything handed to the socket), then 'close'; or
 * only 'close' when the connection went first (then writableFinished stays false).
 */
export class ServerResponse extends EventEmitter {
  statusCode = 200;
  headersSent = false;
  writableEnded = false;
  writableFinished = false;
  destroyed = false;
  private fields = '';
  private pendingHead = false;
  private hasLength = false;
  private chunked = false;
  private closeAfter: boolean;
  private readonly noBodyMethod: boolean;

  constructor(
    private readonly owner: ResponseOwner,
    method: string,
    private readonly http11: boolean,
    keepAlive: boolean,
  ) {
    super();
    this.noBodyMethod = method === 'HEAD';
    this.closeAfter = !keepAlive;
  }

  get writable(): boolean {
    return !this.writableEnded && !this.destroyed;
  }

  /** Only `connection: close` means something here: the connection ends after this response. */
  setHeader(name: string, value: string): this {
    if (name.toLowerCase() === 'connection' && value.toLowerCase() === 'close') this.closeAfter = true;
    return this;
  }

  /** Ends the connection after this response (the server is draining). */
  closeConnectionAfter(): void {
    this.closeAfter = true;
  }

  writeHead(status: number, headers?: OutgoingHttpHeaders): this {
    if (this.headersSent || this.pendingHead) throw Object.assign(new Error('the response head was already written'), { code: 'ERR_HTTP_HEADERS_SENT' });
    let fields = '';
    let hasDate = false;
    if (headers !== undefined) {
      for (const name in headers) {
        const value = headers[name];
        if (value === undefined) continue;
        const common = commonFieldKey(name);
        const lower = common ?? name.toLowerCase();
        if (FRAMING.has(lower)) continue;
        if (lower === 'content-length') this.hasLength = true;
        else if (lower === 'date') hasDate = true;
        if (common === undefined && !TOKEN.test(name)) throw invalidHeader(name);
        if (Array.isArray(value)) {
          for (const v of value) {
            if (INVALID_VALUE.test(v)) throw invalidHeader(name);
            fields += `${name}: ${v}\r\n`;
          }
        } else {
          const text = typeof value === 'string' ? value : String(value);
          if (INVALID_VALUE.test(text)) throw invalidHeader(name);
          fields += `${name}: ${text}\r\n`;
        }
      }
    }
    this.statusCode = status;
    this.fields = hasDate ? fields : `${fields}date: ${dateField()}\r\n`;
    this.pendingHead = true;
    return this;
  }

  write(chunk: string | Buffer): boolean {
    if (this.writableEnded || this.destroyed) return false;
    const length = typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    const sendHead = !this.headersSent;
    if (!sendHead && length === 0) return true;
    const socket = this.owner.socket;
    socket.cork();
    if (sendHead) socket.write(this.head(undefined), 'latin1');
    if (this.bodyAllowed && length > 0) {
      if (this.chunked) socket.write(`${length.toString(16)}\r\n`, 'latin1');
      socket.write(chunk);
      if (this.chunked) socket.write('\r\n', 'latin1');
    }
    socket.uncork();
    return socket.writableNeedDrain !== true;
  }

  end(chunk?: string | Buffer): this {
    if (this.writableEnded || this.destroyed) return this;
    this.writableEnded = true;
    const socket = this.owner.socket;
    const length = chunk === undefined ? 0 : typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    if (!this.headersSent && length <= MAX_JOINED_BODY_BYTES) {
      const head = this.head(length);
      if (this.bodyAllowed && length > 0) socket.write(joined(head, chunk as string | Buffer, length), this.owner.onFlushed);
      else socket.write(head, 'latin1', this.owner.onFlushed);
      return this;
    }
    socket.cork();
    if (!this.headersSent) socket.write(this.head(length), 'latin1');
    if (this.bodyAllowed && length > 0) {
      if (this.chunked) socket.write(`${length.toString(16)}\r\n`, 'latin1');
      socket.write(chunk as string | Buffer);
      if (this.chunked) socket.write('\r\n', 'latin1');
    }
    // As Node's OutgoingMessage.end(): a last (possibly empty) write whose callback says all went out.
    socket.write(this.chunked ? '0\r\n\r\n' : '', 'latin1', this.owner.onFlushed);
    socket.uncork();
    return this;
  }

  /** Cuts the response: the connection is destroyed (HTTP/1.1 has no other way to say it failed). */
  destroy(err?: Error): this {
    if (this.destroyed) return this;
    this.owner.socket.destroy(err);
    return this;
  }

  /** The connection closed: a response not finished by then never will be. */
  connectionClosed(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    if (!this.writableFinished) this.emit('close');
  }

  private get bodyAllowed(): boolean {
    const status = this.statusCode;
    return !this.noBodyMethod && status !== 204 && status !== 304 && status >= 200;
  }

  /** The status line and fields, framed: `length` is the whole body's when known (the response is ending). */
  private head(length: number | undefined): string {
    if (!this.pendingHead) this.writeHead(this.statusCode);
    this.pendingHead = false;
    this.headersSent = true;
    let framing = '';
    if (this.bodyAllowed && !this.hasLength) {
      if (length !== undefined) framing = `content-length: ${length}\r\n`;
      else if (this.http11) {
        framing = 'transfer-encoding: chunked\r\n';
        this.chunked = true;
      } else this.closeAfter = true;
    }
    const connection = this.closeAfter ? 'connection: close\r\n' : this.http11 ? KEEP_ALIVE_HINT : `connection: keep-alive\r\n${KEEP_ALIVE_HINT}`;
    const status = this.statusCode;
    return `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}\r\n${this.fields}${framing}${connection}\r\n`;
  }

  /** Its last write went out (or failed, with `err`). */
  flushed(err?: Error | null): void {
    if (err || this.destroyed) return;
    this.writableFinished = true;
    this.emit('finish');
    // 'close' before the next pipelined request starts, so that whatever this one held is released first.
    this.emit('close');
    this.owner.responseFinished(this, this.closeAfter);
  }
}
