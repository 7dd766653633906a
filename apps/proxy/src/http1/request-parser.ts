/**
 * An incremental, strict HTTP/1.1 request parser (RFC 9112) for server connections, pure (no I/O).
 * It refuses what lets two parsers read one byte stream differently (request smuggling): Content-Length
 * with Transfer-Encoding, repeated or malformed Content-Length, a transfer coding other than a single
 * final `chunked`, obsolete line folding, bare CR or LF, malformed chunk framing, invalid methods,
 * targets and field names, and heads over the limits below. Every refusal is a RequestParseError with a
 * stable code; the connection is then unusable.
 *
 * States: head -> (length | chunk-size -> chunk-data -> chunk-end ... -> trailers) -> done.
 * In `done` the bytes that follow (a pipelined request) are kept until `next()`; a CONNECT request
 * moves to `tunnel`, where the parser takes no more bytes and `takeRest()` hands them to the tunnel.
 */
import { commonFieldKey } from './field-names';
import { MAX_CHUNK_LINE_BYTES, type Fields } from './response-parser';

/** Node's default --max-http-header-size: a request head (request line and fields) or trailer section larger than this gets 431. */
export const MAX_REQUEST_HEAD_BYTES = 16 * 1024;
/** nginx's large_client_header_buffers (8 KiB): a longer request line gets 414. */
export const MAX_REQUEST_LINE_BYTES = 8 * 1024;
/** Envoy's default max_headers_count: more header fields in one head get 431. */
export const MAX_HEADER_FIELDS = 100;
/** Ours: empty lines skipped before a request line (RFC 9112 section 2.2 asks to ignore at least one). */
const MAX_LEADING_EMPTY_LINES = 4;
/** 2^48: chunk sizes above this are refused (13 hex digits would overflow exact integers). */
const MAX_CHUNK_HEX_DIGITS = 12;

/** Why a request was refused; stable, and each maps to one status (REQUEST_ERROR_STATUS). */
export type RequestErrorCode =
  | 'HEAD_TOO_LARGE'
  | 'REQUEST_LINE_TOO_LONG'
  | 'TOO_MANY_FIELDS'
  | 'BAD_REQUEST_LINE'
  | 'BAD_METHOD'
  | 'BAD_TARGET'
  | 'UNSUPPORTED_VERSION'
  | 'HTTP2_PREFACE'
  | 'BARE_CR'
  | 'BARE_LF'
  | 'OBS_FOLD'
  | 'BAD_FIELD_NAME'
  | 'BAD_FIELD_VALUE'
  | 'MISSING_HOST'
  | 'DUPLICATE_HOST'
  | 'CL_AND_TE'
  | 'BAD_CONTENT_LENGTH'
  | 'DUPLICATE_CONTENT_LENGTH'
  | 'CHUNKED_NOT_FINAL'
  | 'UNSUPPORTED_TRANSFER_CODING'
  | 'BAD_CHUNK_SIZE'
  | 'BAD_CHUNK_EXTENSION'
  | 'BAD_CHUNK_END'
  | 'INCOMPLETE';

/** RFC 9110 section 15 statuses for the refusals; 400 for everything that is plain malformed framing. */
export const REQUEST_ERROR_STATUS: Readonly<Record<RequestErrorCode, number>> = Object.freeze({
  HEAD_TOO_LARGE: 431,
  REQUEST_LINE_TOO_LONG: 414,
  TOO_MANY_FIELDS: 431,
  BAD_REQUEST_LINE: 400,
  BAD_METHOD: 400,
  BAD_TARGET: 400,
  UNSUPPORTED_VERSION: 505,
  HTTP2_PREFACE: 400,
  BARE_CR: 400,
  BARE_LF: 400,
  OBS_FOLD: 400,
  BAD_FIELD_NAME: 400,
  BAD_FIELD_VALUE: 400,
  MISSING_HOST: 400,
  DUPLICATE_HOST: 400,
  CL_AND_TE: 400,
  BAD_CONTENT_LENGTH: 400,
  DUPLICATE_CONTENT_LENGTH: 400,
  CHUNKED_NOT_FINAL: 400,
  UNSUPPORTED_TRANSFER_CODING: 501,
  BAD_CHUNK_SIZE: 400,
  BAD_CHUNK_EXTENSION: 400,
  BAD_CHUNK_END: 400,
  INCOMPLETE: 400,
});

export class RequestParseError extends Error {
  override readonly name = 'RequestParseError';

  constructor(
    readonly code: RequestErrorCode,
    message: string,
  ) {
    super(message);
  }

  get status(): number {
    return REQUEST_ERROR_STATUS[this.code];
  }
}

/** A parsed request head. `headers` follows Node's IncomingMessage rules, so handlers read it the same way. */
export interface RequestHead {
  readonly method: string;
  readonly target: string;
  /** `1.0` or `1.1`. */
  readonly httpVersion: string;
  readonly headers: Record<string, string | string[]>;
  /** Flat [name, value, ...] as received (names in their case, repeats kept). */
  readonly rawHeaders: string[];
  /** The connection may carry another request after this one (before the server's own choice). */
  readonly keepAlive: boolean;
  /** A body follows (Content-Length above 0, or chunked). */
  readonly hasBody: boolean;
  /** `Expect: 100-continue` on an HTTP/1.1 request with a body. */
  readonly expectContinue: boolean;
  /** An Expect other than 100-continue (RFC 9110 section 10.1.1: 417). */
  readonly unknownExpectation: boolean;
  /** The Upgrade field when Connection lists `upgrade`; undefined otherwise. */
  readonly upgrade: string | undefined;
  /** A CONNECT request: after its head the connection is a tunnel. */
  readonly connect: boolean;
}

export interface RequestEvents {
  onHead(head: RequestHead): void;
  onBody(chunk: Buffer): void;
  /** The request message ended; trailers of a chunked body (validated, usually empty). */
  onEnd(trailers: Fields): void;
}

type State = 'head' | 'length' | 'chunk-size' | 'chunk-data' | 'chunk-end' | 'trailers' | 'done' | 'tunnel';

const CR = 13;
const LF = 10;
const CRLF = Buffer.from('\r\n');
const HEAD_END = Buffer.from('\r\n\r\n');
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Field values: visible ASCII, obs-text, SP and HTAB only (RFC 9110 section 5.5); the control characters are the point here.
// eslint-disable-next-line no-control-regex
const BAD_VALUE = /[\x00-\x08\x0a-\x1f\x7f]/;
// A CR not followed by LF, or an LF not preceded by CR (RFC 9112 section 2.2).
const STRAY_CR = /\r(?!\n)/;
const STRAY_LF = /(?<!\r)\n/;
const VERSION = /^HTTP\/(\d)\.(\d)$/;
const HTTP_11: readonly string[] = ['HTTP/1.1', '1', '1'];
const HTTP_10: readonly string[] = ['HTTP/1.0', '1', '0'];
// Request targets: visible ASCII only (RFC 3986 characters and the ones clients send unescaped anyway).
const TARGET_CHARS = /^[\x21-\x7e]+$/;
const ABSOLUTE_FORM = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]/;
const AUTHORITY_FORM = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/;
const HEX = /^[0-9a-fA-F]+$/;
const DIGITS = /^\d+$/;
// Chunk extensions: `;name[=token|quoted-string]`, repeated. RFC 9112 allows whitespace before the first ';';
// Node refuses it, and so do we (one reading fewer).
const CHUNK_EXT = /^(?:;[ \t]*[!#$%&'*+\-.^_`|~0-9A-Za-z]+(?:[ \t]*=[ \t]*(?:[!#$%&'*+\-.^_`|~0-9A-Za-z]+|"(?:[\t !#-[\]-~\x80-\xff]|\\[\t -~\x80-\xff])*"))?)*$/;

/** Node's IncomingMessage: repeats of these are dropped (the first one counts). */
const FIRST_WINS = new Set([
  'age',
  'authorization',
  'content-type',
  'etag',
  'expires',
  'from',
  'if-modified-since',
  'if-unmodified-since',
  'last-modified',
  'location',
  'max-forwards',
  'proxy-authorization',
  'referer',
  'retry-after',
  'server',
  'user-agent',
]);

function fail(code: RequestErrorCode, message: string): never {
  throw new RequestParseError(code, message);
}

function quote(text: string): string {
  return JSON.stringify(text.slice(0, 64));
}

/** Adds one field the way Node's IncomingMessage does: set-cookie as a list, cookie joined by '; ', others by ', '. */
function addField(headers: Record<string, string | string[]>, key: string, value: string): void {
  const prior = headers[key];
  if (prior === undefined) {
    headers[key] = key === 'set-cookie' ? [value] : value;
    return;
  }
  if (key === 'set-cookie') (prior as string[]).push(value);
  else if (FIRST_WINS.has(key)) return;
  else headers[key] = `${prior as string}${key === 'cookie' ? '; ' : ', '}${value}`;
}

const NO_TOKENS: readonly string[] = [];
/** The end of a request without trailers (the usual one): one shared, frozen object. */
const NO_TRAILERS: Fields = Object.freeze({});

/** The Connection values clients send most, as lists (shared, frozen). */
const KEEP_ALIVE_TOKENS: readonly string[] = Object.freeze(['keep-alive']);
const CLOSE_TOKENS: readonly string[] = Object.freeze(['close']);

function listTokens(value: string | string[] | undefined): readonly string[] {
  if (value === undefined) return NO_TOKENS;
  if (value === 'keep-alive') return KEEP_ALIVE_TOKENS;
  if (value === 'close') return CLOSE_TOKENS;
  const joined = Array.isArray(value) ? value.join(',') : value;
  return joined.split(',').map((v) => v.trim().toLowerCase()).filter((v) => v !== '');
}

/** Checks the field line at [start, end) of `text` and splits it into name and value (OWS trimmed). */
function fieldLine(text: string, start: number, end: number): [string, string] {
  const first = text.charCodeAt(start);
  if (first === 32 || first === 9) fail('OBS_FOLD', 'obsolete line folding');
  const colon = text.indexOf(':', start);
  if (colon <= start || colon >= end) fail('BAD_FIELD_NAME', `malformed field line ${quote(text.slice(start, end))}`);
  const name = text.slice(start, colon);
  if (commonFieldKey(name) === undefined && !TOKEN.test(name)) fail('BAD_FIELD_NAME', `invalid field name ${quote(name)}`);
  let valueStart = colon + 1;
  while (valueStart < end && (text.charCodeAt(valueStart) === 32 || text.charCodeAt(valueStart) === 9)) valueStart++;
  let valueEnd = end;
  while (valueEnd > valueStart && (text.charCodeAt(valueEnd - 1) === 32 || text.charCodeAt(valueEnd - 1) === 9)) valueEnd--;
  const value = text.slice(valueStart, valueEnd);
  if (BAD_VALUE.test(value)) fail('BAD_FIELD_VALUE', `invalid characters in the value of ${name}`);
  return [name, value];
}

/** Parses trailer lines (without the final empty line). */
function parseTrailers(lines: readonly string[]): Fields {
  const fields: Fields = {};
  for (const line of lines) {
    const [name, value] = fieldLine(line, 0, line.length);
    addField(fields as Record<string, string | string[]>, commonFieldKey(name) ?? name.toLowerCase(), value);
  }
  return fields;
}

/** RFC 9112 section 3.2: the four forms, each only where it belongs. */
function checkTarget(method: string, target: string): void {
  if (!TARGET_CHARS.test(target)) fail('BAD_TARGET', `invalid characters in the request target ${quote(target)}`);
  if (method === 'CONNECT') {
    if (!AUTHORITY_FORM.test(target)) fail('BAD_TARGET', `CONNECT needs host:port, not ${quote(target)}`);
    return;
  }
  if (target.charCodeAt(0) === 47 /* '/' */) return;
  if (target === '*') {
    if (method !== 'OPTIONS') fail('BAD_TARGET', `the asterisk form is for OPTIONS only, not ${method}`);
    return;
  }
  if (!ABSOLUTE_FORM.test(target)) fail('BAD_TARGET', `unsupported request target ${quote(target)}`);
}

interface Framing {
  readonly length: number;
  readonly chunked: boolean;
}

const NO_BODY: Framing = { length: 0, chunked: false };

/** RFC 9112 section 6.3 for requests: chunked, one exact Content-Length, or no body. */
function framing(headers: Record<string, string | string[]>, contentLengths: number): Framing {
  const te = headers['transfer-encoding'];
  const cl = headers['content-length'];
  if (te !== undefined) {
    if (cl !== undefined) fail('CL_AND_TE', 'both Transfer-Encoding and Content-Length');
    const codings = listTokens(te);
    if (codings[codings.length - 1] !== 'chunked') fail('CHUNKED_NOT_FINAL', `chunked is not the final transfer coding in ${quote(String(te))}`);
    // Other codings are not ours to undo, and the body would be forwarded without them (RFC 9112 section 6.1: 501).
    if (codings.length > 1) fail('UNSUPPORTED_TRANSFER_CODING', `unsupported transfer codings ${quote(String(te))}`);
    return { length: 0, chunked: true };
  }
  if (cl === undefined) return NO_BODY;
  if (contentLengths > 1) fail('DUPLICATE_CONTENT_LENGTH', 'more than one Content-Length');
  const text = cl as string;
  if (!DIGITS.test(text)) fail('BAD_CONTENT_LENGTH', `invalid Content-Length ${quote(text)}`);
  const length = Number(text);
  if (!Number.isSafeInteger(length)) fail('BAD_CONTENT_LENGTH', 'Content-Length too large');
  return length === 0 ? NO_BODY : { length, chunked: false };
}

/** Refuses a CR not followed by LF or an LF not preceded by CR in `text`; `partial`: more may follow it. */
function checkLineEnds(text: string, partial: boolean): void {
  if (STRAY_LF.test(text)) fail('BARE_LF', 'a line ends with LF alone');
  const cr = STRAY_CR.exec(text);
  // A CR at the very end of a partial head may still get its LF.
  if (cr !== null && (!partial || cr.index < text.length - 1)) fail('BARE_CR', 'a CR not followed by LF');
}

/**
 * The line breaks of a whole head (its text without the final CRLFCRLF): refuses an LF not preceded
 * by CR, then a CR not followed by LF, as checkLineEnds does, and returns how many CRLFs there are
 * (the number of field lines), without a regular expression or a split.
 */
function headLineBreaks(text: string): number {
  let breaks = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) {
    if (text.charCodeAt(i - 1) !== CR) fail('BARE_LF', 'a line ends with LF alone');
    breaks++;
  }
  for (let i = text.indexOf('\r'); i >= 0; i = text.indexOf('\r', i + 1)) {
    if (text.charCodeAt(i + 1) !== LF) fail('BARE_CR', 'a CR not followed by LF');
  }
  return breaks;
}

/** Where a head or trailer section ends in `buf` (the offset of its CRLFCRLF), or -1; refuses stray CR/LF seen so far. */
function findHeadEnd(buf: Buffer): number {
  const end = buf.indexOf(HEAD_END);
  if (end < 0) checkLineEnds(buf.toString('latin1'), true);
  return end;
}

export class RequestParser {
  private state: State = 'head';
  private pending: Buffer | undefined;
  private remaining = 0;

  constructor(private readonly events: RequestEvents) {}

  /** True between the end of a request and `next()`. */
  get done(): boolean {
    return this.state === 'done';
  }

  /** True after a CONNECT head: the connection is a tunnel now. */
  get tunnel(): boolean {
    return this.state === 'tunnel';
  }

  /** True while a request has started (a byte of it seen) and not ended. */
  get inMessage(): boolean {
    return this.state !== 'done' && this.state !== 'tunnel' && (this.state !== 'head' || this.pending !== undefined);
  }

  /** Bytes received and not yet parsed (a partial head, or pipelined requests waiting for `next()`). */
  get bufferedBytes(): number {
    return this.pending?.length ?? 0;
  }

  /** Consumes bytes from the connection. Throws RequestParseError; the connection is then unusable. */
  execute(data: Buffer): void {
    if (data.length === 0) return;
    const buf = this.pending === undefined ? data : Buffer.concat([this.pending, data]);
    this.pending = undefined;
    this.run(buf);
  }

  /** Starts on the next request, parsing whatever was received after the last one. */
  next(): void {
    if (this.state !== 'done') return;
    this.state = 'head';
    const buf = this.pending;
    this.pending = undefined;
    if (buf !== undefined) this.run(buf);
  }

  /** The bytes after a CONNECT head, for the tunnel. */
  takeRest(): Buffer | undefined {
    const rest = this.pending;
    this.pending = undefined;
    return rest;
  }

  /** The connection ended: refuses a request cut short. */
  finish(): void {
    if (this.inMessage) fail('INCOMPLETE', 'the connection closed before the request ended');
  }

  private run(input: Buffer): void {
    let buf = input;
    while (buf.length > 0) {
      if (this.state === 'done' || this.state === 'tunnel') {
        this.pending = buf;
        return;
      }
      const used = this.step(buf);
      if (used < 0) {
        this.pending = buf;
        return;
      }
      buf = buf.subarray(used);
    }
  }

  /** Consumes from the start of `buf`; returns the bytes used, or -1 when more are needed. */
  private step(buf: Buffer): number {
    switch (this.state) {
      case 'head':
        return this.head(buf);
      case 'length':
        return this.lengthBody(buf);
      case 'chunk-size':
        return this.chunkSize(buf);
      case 'chunk-data':
        return this.chunkData(buf);
      case 'chunk-end':
        if (buf.length < 2) {
          if (buf[0] !== CR) fail('BAD_CHUNK_END', 'chunk data not followed by CRLF');
          return -1;
        }
        if (buf[0] !== CR || buf[1] !== LF) fail('BAD_CHUNK_END', 'chunk data not followed by CRLF');
        this.state = 'chunk-size';
        return 2;
      default:
        return this.trailers(buf);
    }
  }

  private head(input: Buffer): number {
    let skipped = 0;
    while (skipped < 2 * MAX_LEADING_EMPTY_LINES && input[skipped] === CR && input[skipped + 1] === LF) skipped += 2;
    if (skipped === input.length || (input.length - skipped === 1 && input[skipped] === CR)) return -1;
    const buf = skipped === 0 ? input : input.subarray(skipped);
    const end = findHeadEnd(buf);
    if (end < 0) {
      this.checkPartialHead(buf);
      return -1;
    }
    if (end + 2 > MAX_REQUEST_HEAD_BYTES) fail('HEAD_TOO_LARGE', 'request head too large');
    const text = buf.toString('latin1', 0, end);
    this.message(text, headLineBreaks(text));
    return skipped + end + 4;
  }

  /** Refuses a head that is already too large, or a request line too long, before its end arrives. */
  private checkPartialHead(buf: Buffer): void {
    const lineEnd = buf.indexOf(CRLF);
    if ((lineEnd < 0 ? buf.length : lineEnd) > MAX_REQUEST_LINE_BYTES) fail('REQUEST_LINE_TOO_LONG', 'request line too long');
    if (buf.length > MAX_REQUEST_HEAD_BYTES) fail('HEAD_TOO_LARGE', 'request head too large');
  }

  /** A whole head's text (without its final CRLFCRLF) with `fields` line breaks, each ending a line. */
  private message(text: string, fields: number): void {
    const lineEnd = fields === 0 ? text.length : text.indexOf('\r\n');
    const requestLine = fields === 0 ? text : text.slice(0, lineEnd);
    if (requestLine.length > MAX_REQUEST_LINE_BYTES) fail('REQUEST_LINE_TOO_LONG', 'request line too long');
    const sp1 = requestLine.indexOf(' ');
    const sp2 = sp1 < 0 ? -1 : requestLine.indexOf(' ', sp1 + 1);
    if (sp2 < 0 || requestLine.indexOf(' ', sp2 + 1) >= 0) fail('BAD_REQUEST_LINE', `malformed request line ${quote(requestLine)}`);
    const method = requestLine.slice(0, sp1);
    const target = requestLine.slice(sp1 + 1, sp2);
    const version = requestLine.slice(sp2 + 1);
    if (method === 'PRI' && target === '*' && version === 'HTTP/2.0') fail('HTTP2_PREFACE', 'the HTTP/2 connection preface');
    if (!TOKEN.test(method)) fail('BAD_METHOD', `invalid method ${quote(method)}`);
    // The two versions there are, without a match array; anything else gets the exact refusal.
    const v = version === 'HTTP/1.1' ? HTTP_11 : version === 'HTTP/1.0' ? HTTP_10 : VERSION.exec(version);
    if (v === null) fail('BAD_REQUEST_LINE', `malformed HTTP version ${quote(version)}`);
    if (v[1] !== '1' || (v[2] !== '0' && v[2] !== '1')) fail('UNSUPPORTED_VERSION', `unsupported version ${version}`);
    checkTarget(method, target);
    if (fields > MAX_HEADER_FIELDS) fail('TOO_MANY_FIELDS', `more than ${MAX_HEADER_FIELDS} header fields`);
    const headers: Record<string, string | string[]> = {};
    const rawHeaders: string[] = [];
    let hosts = 0;
    let contentLengths = 0;
    for (let start = lineEnd + 2; start < text.length; ) {
      const next = text.indexOf('\r\n', start);
      const end = next < 0 ? text.length : next;
      const [name, value] = fieldLine(text, start, end);
      start = end + 2;
      const key = commonFieldKey(name) ?? name.toLowerCase();
      if (key === 'host') hosts++;
      else if (key === 'content-length') contentLengths++;
      rawHeaders.push(name, value);
      addField(headers, key, value);
    }
    const http11 = v[2] === '1';
    // RFC 9112 section 3.2: exactly one Host in HTTP/1.1, at most one in HTTP/1.0.
    if (hosts > 1) fail('DUPLICATE_HOST', 'more than one Host');
    if (http11 && hosts === 0) fail('MISSING_HOST', 'an HTTP/1.1 request without Host');
    const connect = method === 'CONNECT';
    const frame = connect ? NO_BODY : framing(headers, contentLengths);
    const connection = listTokens(headers['connection']);
    const expect = headers['expect'];
    const hasBody = frame.chunked || frame.length > 0;
    const expectContinue = typeof expect === 'string' && expect.toLowerCase() === '100-continue';
    const head: RequestHead = {
      method,
      target,
      httpVersion: http11 ? '1.1' : '1.0',
      headers,
      rawHeaders,
      // HTTP/1.0 with a transfer coding: close after it (RFC 9112 section 6.1).
      keepAlive: http11 ? !connection.includes('close') : connection.includes('keep-alive') && !frame.chunked,
      hasBody,
      expectContinue: expectContinue && http11 && hasBody,
      unknownExpectation: expect !== undefined && !expectContinue,
      upgrade: connection.includes('upgrade') ? (headers['upgrade'] as string | undefined) : undefined,
      connect,
    };
    if (connect) this.state = 'tunnel';
    else if (frame.chunked) this.state = 'chunk-size';
    else if (frame.length > 0) {
      this.state = 'length';
      this.remaining = frame.length;
    } else this.state = 'done';
    this.events.onHead(head);
    if (this.state === 'done') this.events.onEnd(NO_TRAILERS);
  }

  private lengthBody(buf: Buffer): number {
    const n = Math.min(buf.length, this.remaining);
    this.remaining -= n;
    if (this.remaining === 0) this.state = 'done';
    this.events.onBody(n === buf.length ? buf : buf.subarray(0, n));
    if (this.state === 'done') this.events.onEnd(NO_TRAILERS);
    return n;
  }

  private chunkSize(buf: Buffer): number {
    const end = buf.indexOf(CRLF);
    if (end < 0) {
      if (buf.length > MAX_CHUNK_LINE_BYTES) fail('BAD_CHUNK_SIZE', 'chunk-size line too long');
      if (buf.indexOf(LF) >= 0) fail('BARE_LF', 'a chunk-size line ends with LF alone');
      return -1;
    }
    if (end > MAX_CHUNK_LINE_BYTES) fail('BAD_CHUNK_SIZE', 'chunk-size line too long');
    const line = buf.toString('latin1', 0, end);
    let digits = 0;
    while (digits < line.length && HEX.test(line.charAt(digits))) digits++;
    const hex = line.slice(0, digits);
    if (digits === 0 || digits > MAX_CHUNK_HEX_DIGITS) fail('BAD_CHUNK_SIZE', `invalid chunk size ${quote(line)}`);
    const rest = line.slice(digits);
    if (rest !== '') {
      if (STRAY_LF.test(rest)) fail('BARE_LF', 'an LF alone inside a chunk-size line');
      if (STRAY_CR.test(rest)) fail('BARE_CR', 'a CR alone inside a chunk-size line');
      if (!CHUNK_EXT.test(rest)) fail(rest.startsWith(';') ? 'BAD_CHUNK_EXTENSION' : 'BAD_CHUNK_SIZE', `invalid chunk-size line ${quote(line)}`);
    }
    this.remaining = parseInt(hex, 16);
    this.state = this.remaining === 0 ? 'trailers' : 'chunk-data';
    return end + 2;
  }

  private chunkData(buf: Buffer): number {
    const n = Math.min(buf.length, this.remaining);
    this.remaining -= n;
    if (this.remaining === 0) this.state = 'chunk-end';
    this.events.onBody(n === buf.length ? buf : buf.subarray(0, n));
    return n;
  }

  private trailers(buf: Buffer): number {
    if (buf[0] === CR && buf.length === 1) return -1;
    if (buf[0] === CR && buf[1] === LF) {
      this.state = 'done';
      this.events.onEnd(NO_TRAILERS);
      return 2;
    }
    const end = findHeadEnd(buf);
    if (end < 0) {
      if (buf.length > MAX_REQUEST_HEAD_BYTES) fail('HEAD_TOO_LARGE', 'trailer section too large');
      return -1;
    }
    if (end > MAX_REQUEST_HEAD_BYTES) fail('HEAD_TOO_LARGE', 'trailer section too large');
    const text = buf.toString('latin1', 0, end);
    checkLineEnds(text, false);
    const lines = text.split('\r\n');
    if (lines.length > MAX_HEADER_FIELDS) fail('TOO_MANY_FIELDS', `more than ${MAX_HEADER_FIELDS} trailer fields`);
    const trailers = parseTrailers(lines);
    this.state = 'done';
    this.events.onEnd(trailers);
    return end + 4;
  }
}
