import type { IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import type { RequestHead } from './request-parser';

/**
 * One request on a raw HTTP/1.1 server connection: the parsed head, with the body as a Readable.
 * It has the fields of Node's IncomingMessage that the roles read, with the same meaning, so either
 * server can feed them. Reading resumes the connection (`onRead`), which pauses while the body is full.
 */
export class ServerRequest extends Readable {
  readonly method: string;
  readonly url: string;
  readonly httpVersion: string;
  readonly headers: IncomingHttpHeaders;
  readonly rawHeaders: string[];
  /** The Upgrade field when the request asks for one (Connection: upgrade). */
  readonly upgrade: string | undefined;
  /** True once the whole body has arrived. */
  complete = false;

  constructor(
    head: RequestHead,
    readonly socket: Socket,
    private readonly onRead: () => void,
  ) {
    super();
    this.method = head.method;
    this.url = head.target;
    this.httpVersion = head.httpVersion;
    // The parser builds the fields as IncomingMessage does (first-wins, joined and list fields alike).
    this.headers = head.headers as IncomingHttpHeaders;
    this.rawHeaders = head.rawHeaders;
    this.upgrade = head.upgrade;
  }

  override _read(): void {
    this.onRead();
  }
}
