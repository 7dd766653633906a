import type { IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import type { RequestHead } from './request-parser';

/**
 * Readable's default highWaterMark for byte streams: body bytes held for a request whose body
 * nobody has asked for yet, past which the connection pauses (as a Readable's full buffer pauses it).
 */
export const MAX_HELD_BODY_BYTES = 16 * 1024;

/** The body of a ServerRequest: reading it resumes the connection, which pauses while the body is full. */
class RequestBody extends Readable {
  constructor(private readonly onRead: () => void) {
    super();
  }

  override _read(): void {
    this.onRead();
  }
}

/**
 * One request on a raw HTTP/1.1 server connection: the parsed head, with the fields of Node's
 * IncomingMessage that the roles read, with the same meaning, so either server can feed them.
 *
 * The body is a Readable made when first asked for (`body`): most requests have none, and a stream
 * per request would cost its state, its end-of-stream ticks and its events for nothing. Until then
 * the connection's body bytes wait here (up to MAX_HELD_BODY_BYTES before it pauses), and the end
 * or a failure is remembered for the stream to replay.
 */
export class ServerRequest {
  readonly method: string;
  readonly url: string;
  readonly httpVersion: string;
  readonly headers: IncomingHttpHeaders;
  readonly rawHeaders: string[];
  /** The Upgrade field when the request asks for one (Connection: upgrade). */
  readonly upgrade: string | undefined;
  /** True once the whole body has arrived. */
  complete = false;
  private stream: RequestBody | undefined;
  private held: Buffer[] | undefined;
  private heldBytes = 0;
  private failure: Error | undefined;

  constructor(
    head: RequestHead,
    readonly socket: Socket,
    private readonly onRead: () => void,
  ) {
    this.method = head.method;
    this.url = head.target;
    this.httpVersion = head.httpVersion;
    // The parser builds the fields as IncomingMessage does (first-wins, joined and list fields alike).
    this.headers = head.headers as IncomingHttpHeaders;
    this.rawHeaders = head.rawHeaders;
    this.upgrade = head.upgrade;
  }

  /** The body as a Readable (made on first use, with whatever arrived, ended or failed before). */
  get body(): Readable {
    let stream = this.stream;
    if (stream !== undefined) return stream;
    stream = new RequestBody(this.onRead);
    this.stream = stream;
    if (this.failure !== undefined) {
      stream.destroy(this.failure);
      return stream;
    }
    const held = this.held;
    this.held = undefined;
    if (held !== undefined) for (const chunk of held) stream.push(chunk);
    if (this.complete) stream.push(null);
    return stream;
  }

  /** True once the body failed (the connection went, or the request was malformed). */
  get destroyed(): boolean {
    return this.stream === undefined ? this.failure !== undefined : this.stream.destroyed;
  }

  /** Body bytes from the connection; false: the body is full, pause until it is read. */
  push(chunk: Buffer): boolean {
    if (this.stream !== undefined) return this.stream.push(chunk);
    (this.held ??= []).push(chunk);
    this.heldBytes += chunk.length;
    return this.heldBytes < MAX_HELD_BODY_BYTES;
  }

  /** The whole body has arrived. */
  end(): void {
    this.complete = true;
    this.stream?.push(null);
  }

  /** The body cannot complete: a reader gets `err`. */
  destroy(err: Error): void {
    if (this.destroyed) return;
    if (this.stream !== undefined) {
      this.stream.destroy(err);
      return;
    }
    this.failure = err;
    this.held = undefined;
  }
}
