/**
 * An incremental, strict HTTP/1.1 response parser (RFC 9112) for upstream connections that carry
 * one request at a time. It refuses what could desynchronise a reused connection: obsolete line
 * folding, control characters, bad field names, Content-Length with Transfer-Encoding, differing
 * Content-Lengths, malformed chunk framing, and bytes after a response.
 *
 * States: head -> (length | chunk-size -> chunk-data -> chunk-end ... -> trailers | until-close)
 * -> done. A 1xx head other than 101 is skipped and the next head read.
 */
import { commonFieldKey } from './field-names';

/** Ours, as Node's default for request heads: a response head (or trailer section) larger than this is refused. */
export const MAX_RESPONSE_HEAD_BYTES = 16 * 1024;
/** Ours: a chunk-size line (with extensions) longer than this is refused. */
export const MAX_CHUNK_LINE_BYTES = 4 * 1024;
/** 2^48: chunk sizes above this are refused (13 hex digits would overflow exact integers). */
const MAX_CHUNK_HEX_DIGITS = 12;

export type Fields = Record<string, string | string[]>;

export interface ResponseEvents {
  onHead(status: number, headers: Fields): void;
  onBody(chunk: Buffer): void;
  onEnd(trailers: Fields): void;
}

export class Http1ParseError extends Error {
  override readonly name = 'Http1ParseError';
  readonly code = 'HTTP1_PARSE_ERROR';
}

type State = 'head' | 'length' | 'chunk-size' | 'chunk-data' | 'chunk-end' | 'trailers' | 'until-close' | 'done';

const CRLF = Buffer.from('\r\n');
const HEAD_END = Buffer.from('\r\n\r\n');
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Field values: visible ASCII, obs-text, SP and HTAB only (RFC 9110 section 5.5); the control characters are the point here.
// eslint-disable-next-line no-control-regex
const BAD_VALUE = /[\x00-\x08\x0a-\x1f\x7f]/;
const STATUS_LINE = /^HTTP\/1\.[01] [1-9]\d\d(?: [^\r\n]*)?$/;
const HEX = /^[0-9a-fA-F]+$/;
const DIGITS = /^\d+$/;

/** The end of a response without trailers (the usual one): one shared, frozen object. */
const NO_TRAILERS: Fields = Object.freeze({});

function fail(message: string): never {
  throw new Http1ParseError(message);
}

/** Index of the first character of `text` from `from` on that is not SP or HTAB (RFC 9110's OWS). */
function skipSpace(text: string, from: number): number {
  let i = from;
  while (i < text.length && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9)) i++;
  return i;
}

/**
 * Parses field lines (a head or trailer section without its final empty line) from offset `from`
 * of `text` into lowercase-named fields, one line at a time, without splitting the text into a list.
 */
function parseFields(text: string, from: number): Fields {
  const fields: Fields = {};
  let start = from;
  while (start < text.length) {
    const crlf = text.indexOf('\r\n', start);
    const end = crlf < 0 ? text.length : crlf;
    const colon = text.indexOf(':', start);
    if (colon <= start || colon >= end) fail(`malformed field line ${JSON.stringify(text.slice(start, Math.min(end, start + 64)))}`);
    const name = text.slice(start, colon);
    const common = commonFieldKey(name);
    if (common === undefined && !TOKEN.test(name)) fail(`invalid field name ${JSON.stringify(name.slice(0, 64))}`);
    const valueStart = skipSpace(text, colon + 1);
    let valueEnd = end;
    while (valueEnd > valueStart && (text.charCodeAt(valueEnd - 1) === 32 || text.charCodeAt(valueEnd - 1) === 9)) valueEnd--;
    const value = text.slice(valueStart, valueEnd);
    if (BAD_VALUE.test(value)) fail(`invalid characters in the value of ${name}`);
    const key = common ?? name.toLowerCase();
    const prior = fields[key];
    if (prior === undefined) fields[key] = value;
    else if (Array.isArray(prior)) prior.push(value);
    else fields[key] = [prior, value];
    start = end + 2;
  }
  return fields;
}

function listValues(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  const joined = Array.isArray(value) ? value.join(',') : value;
  return joined.split(',').map((v) => v.trim().toLowerCase()).filter((v) => v !== '');
}

/** Whether a comma-separated field (Connection) lists `token` (lowercase); the usual single value costs no list. */
function listsToken(value: string | string[] | undefined, token: string): boolean {
  if (value === undefined) return false;
  if (typeof value === 'string' && !value.includes(',')) return value.trim().toLowerCase() === token;
  return listValues(value).includes(token);
}

/** The body length from Content-Length fields: every value must be the same number. */
function contentLength(value: string | string[]): number {
  // The usual single field of digits needs no list.
  let digits = value as string;
  if (typeof value !== 'string' || !DIGITS.test(value)) {
    const values = (Array.isArray(value) ? value.join(',') : value).split(',').map((v) => v.trim());
    digits = values[0] ?? '';
    if (!DIGITS.test(digits) || values.some((v) => v !== digits)) fail(`invalid Content-Length ${JSON.stringify(String(value).slice(0, 64))}`);
  }
  const n = Number(digits);
  if (!Number.isSafeInteger(n)) fail('Content-Length too large');
  return n;
}

export class ResponseParser {
  private state: State = 'done';
  private pending: Buffer | undefined;
  private remaining = 0;
  private method = 'GET';
  private trailerFields: Fields = NO_TRAILERS;
  /** The connection may carry another request once this response is done. */
  keepAlive = false;

  constructor(private readonly events: ResponseEvents) {}

  /** Expect the response to a request with `method`. */
  expect(method: string): void {
    this.method = method;
    this.state = 'head';
    this.pending = undefined;
    this.keepAlive = false;
  }

  get done(): boolean {
    return this.state === 'done';
  }

  /** True once the response head has been parsed. */
  get started(): boolean {
    return this.state !== 'head';
  }

  /** Consumes bytes from the connection. Throws Http1ParseError; the connection is then unusable. */
  execute(data: Buffer): void {
    let buf = this.pending === undefined ? data : Buffer.concat([this.pending, data]);
    this.pending = undefined;
    while (buf.length > 0) {
      if (this.state === 'done') fail('bytes after the end of the response');
      const used = this.step(buf);
      if (used < 0) {
        this.pending = buf;
        return;
      }
      buf = buf.subarray(used);
      if (this.done) {
        // Checked before onEnd, whose listener may hand the connection to the next request.
        if (buf.length > 0) fail('bytes after the end of the response');
        this.events.onEnd(this.trailerFields);
        return;
      }
    }
  }

  /** The connection ended: completes a body delimited by the close, refuses anything cut short. */
  finish(): void {
    if (this.state === 'until-close') {
      this.complete(NO_TRAILERS);
      this.events.onEnd(this.trailerFields);
      return;
    }
    if (this.state !== 'done') fail('the connection closed before the response ended');
  }

  /** Consumes from the start of `buf`; returns the bytes used, or -1 when more are needed. */
  private step(buf: Buffer): number {
    switch (this.state) {
      case 'head':
        return this.head(buf);
      case 'length':
        return this.lengthBody(buf);
      case 'until-close':
        this.events.onBody(buf);
        return buf.length;
      case 'chunk-size':
        return this.chunkSize(buf);
      case 'chunk-data':
        return this.chunkData(buf);
      case 'chunk-end':
        if (buf.length < 2) return -1;
        if (buf[0] !== 13 || buf[1] !== 10) fail('chunk data not followed by CRLF');
        this.state = 'chunk-size';
        return 2;
      case 'trailers':
        return this.trailers(buf);
      default:
        return fail('unexpected bytes');
    }
  }

  private head(buf: Buffer): number {
    const end = buf.indexOf(HEAD_END);
    if (end < 0) {
      if (buf.length > MAX_RESPONSE_HEAD_BYTES) fail('response head too large');
      return -1;
    }
    if (end > MAX_RESPONSE_HEAD_BYTES) fail('response head too large');
    const text = buf.toString('latin1', 0, end);
    const lineEnd = text.indexOf('\r\n');
    const statusLine = lineEnd < 0 ? text : text.slice(0, lineEnd);
    if (!STATUS_LINE.test(statusLine)) fail(`malformed status line ${JSON.stringify(statusLine.slice(0, 64))}`);
    // STATUS_LINE fixed the places: `HTTP/1.x SSS`.
    const status = Number(statusLine.slice(9, 12));
    const headers = lineEnd < 0 ? {} : parseFields(text, lineEnd + 2);
    if (status < 200) {
      if (status === 101) fail('unexpected protocol switch');
      return end + 4;
    }
    this.frame(statusLine.charCodeAt(7) === 49 /* '1' */, status, headers);
    this.events.onHead(status, headers);
    if (this.state === 'done' || (this.state === 'length' && this.remaining === 0)) this.complete(NO_TRAILERS);
    return end + 4;
  }

  /** RFC 9112 section 6.3: how the body is delimited, and whether the connection can be reused. */
  private frame(http11: boolean, status: number, headers: Fields): void {
    this.keepAlive = http11 && !listsToken(headers['connection'], 'close');
    if (this.method === 'HEAD' || status === 204 || status === 304) {
      this.state = 'done';
      return;
    }
    const te = headers['transfer-encoding'];
    const cl = headers['content-length'];
    if (te !== undefined) {
      if (cl !== undefined) fail('both Transfer-Encoding and Content-Length');
      const codings = listValues(te);
      const chunkedAt = codings.indexOf('chunked');
      if (chunkedAt >= 0 && chunkedAt !== codings.length - 1) fail('chunked is not the final transfer coding');
      if (chunkedAt >= 0) {
        this.state = 'chunk-size';
        return;
      }
      this.state = 'until-close';
      this.keepAlive = false;
      return;
    }
    if (cl !== undefined) {
      this.remaining = contentLength(cl);
      this.state = 'length';
      return;
    }
    this.state = 'until-close';
    this.keepAlive = false;
  }

  private lengthBody(buf: Buffer): number {
    const n = Math.min(buf.length, this.remaining);
    this.remaining -= n;
    this.events.onBody(n === buf.length ? buf : buf.subarray(0, n));
    if (this.remaining === 0) this.complete(NO_TRAILERS);
    return n;
  }

  private chunkSize(buf: Buffer): number {
    const end = buf.indexOf(CRLF);
    if (end < 0) {
      if (buf.length > MAX_CHUNK_LINE_BYTES) fail('chunk-size line too long');
      return -1;
    }
    if (end > MAX_CHUNK_LINE_BYTES) fail('chunk-size line too long');
    const line = buf.toString('latin1', 0, end);
    const semicolon = line.indexOf(';');
    const hex = (semicolon < 0 ? line : line.slice(0, semicolon)).replace(/[ \t]+$/, '');
    if (!HEX.test(hex) || hex.length > MAX_CHUNK_HEX_DIGITS) fail(`invalid chunk size ${JSON.stringify(hex.slice(0, 20))}`);
    if (semicolon >= 0 && BAD_VALUE.test(line.slice(semicolon))) fail('invalid chunk extension');
    this.remaining = parseInt(hex, 16);
    this.state = this.remaining === 0 ? 'trailers' : 'chunk-data';
    return end + 2;
  }

  private chunkData(buf: Buffer): number {
    const n = Math.min(buf.length, this.remaining);
    this.remaining -= n;
    this.events.onBody(n === buf.length ? buf : buf.subarray(0, n));
    if (this.remaining === 0) this.state = 'chunk-end';
    return n;
  }

  private trailers(buf: Buffer): number {
    if (buf.length >= 2 && buf[0] === 13 && buf[1] === 10) {
      this.complete(NO_TRAILERS);
      return 2;
    }
    const end = buf.indexOf(HEAD_END);
    if (end < 0) {
      if (buf.length > MAX_RESPONSE_HEAD_BYTES) fail('trailer section too large');
      return -1;
    }
    if (end > MAX_RESPONSE_HEAD_BYTES) fail('trailer section too large');
    const trailers = parseFields(buf.toString('latin1', 0, end), 0);
    this.complete(trailers);
    return end + 4;
  }

  /** Ends the response; execute() reports it (onEnd) once it has checked nothing follows. */
  private complete(trailers: Fields): void {
    this.state = 'done';
    this.trailerFields = trailers;
  }
}
