import type { RequestErrorCode } from '../request-parser';

/**
 * The request smuggling and conformance corpus: raw request bytes and what a strict server must make
 * of them, run against our parser (request-parser.spec.ts) and against Node's (request-corpus.spec.ts,
 * through a real node:http server). `node` says whether Node's parser reads the bytes the same way;
 * where it does not, `differs` says why we choose otherwise.
 */
export interface ExpectedRequest {
  readonly method: string;
  readonly target: string;
  readonly body?: string;
  /** Fields the parsed head must have (lowercase names, Node's joined values). */
  readonly headers?: Readonly<Record<string, string | string[]>>;
  readonly expectContinue?: boolean;
  readonly upgrade?: string;
  readonly keepAlive?: boolean;
}

export interface CorpusCase {
  readonly name: string;
  /** The bytes, as latin1 text. */
  readonly raw: string;
  /** Requests parsed in order before the end (or before the refusal). */
  readonly requests: readonly ExpectedRequest[];
  /** The refusal after those requests, if any. */
  readonly refused?: RequestErrorCode;
  /** Where Node's parser reads the bytes otherwise, and why we differ; absent when both agree. */
  readonly differs?: string;
}

const GET = 'GET / HTTP/1.1\r\nHost: a\r\n\r\n';
const big = (n: number) => 'x'.repeat(n);

export const REQUEST_CORPUS: readonly CorpusCase[] = [
  // RFC 9112 framing: what must parse.
  { name: 'a minimal GET', raw: GET, requests: [{ method: 'GET', target: '/', body: '', keepAlive: true }] },
  {
    name: 'HTTP/1.0 without Host, closing by default',
    raw: 'GET /old HTTP/1.0\r\n\r\n',
    requests: [{ method: 'GET', target: '/old', keepAlive: false }],
  },
  {
    name: 'HTTP/1.0 asking for keep-alive',
    raw: 'GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n',
    requests: [{ method: 'GET', target: '/', keepAlive: true }],
  },
  {
    name: 'Connection: close on HTTP/1.1',
    raw: 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n',
    requests: [{ method: 'GET', target: '/', keepAlive: false }],
  },
  {
    name: 'a Content-Length body',
    raw: 'POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello',
    requests: [{ method: 'POST', target: '/p', body: 'hello' }],
  },
  {
    name: 'Content-Length: 0',
    raw: 'POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n',
    requests: [{ method: 'POST', target: '/p', body: '' }],
  },
  {
    name: 'a chunked body with extensions and trailers',
    raw: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b;c="d e"\r\nhello\r\n1;x\r\n!\r\n0\r\nX-Trailer: t\r\n\r\n',
    requests: [{ method: 'POST', target: '/', body: 'hello!' }],
  },
  {
    name: 'Transfer-Encoding: Chunked (case-insensitive)',
    raw: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n',
    requests: [{ method: 'POST', target: '/', body: 'abc' }],
  },
  {
    name: 'upper-case hex chunk sizes',
    raw: `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nA\r\n${big(10)}\r\n0\r\n\r\n`,
    requests: [{ method: 'POST', target: '/', body: big(10) }],
  },
  {
    name: 'field values trimmed of optional whitespace, empty values kept',
    raw: 'GET / HTTP/1.1\r\nHost: a\r\nX-A: \t v \t\r\nX-Empty:\r\n\r\n',
    requests: [{ method: 'GET', target: '/', headers: { 'x-a': 'v', 'x-empty': '' } }],
  },
  {
    name: 'repeated fields joined as Node joins them',
    raw: 'GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\nx-a: 2\r\nCookie: c=1\r\nCookie: d=2\r\nUser-Agent: u1\r\nUser-Agent: u2\r\n\r\n',
    requests: [{ method: 'GET', target: '/', headers: { 'x-a': '1, 2', cookie: 'c=1; d=2', 'user-agent': 'u1' } }],
  },
  {
    name: 'obs-text (bytes 0x80-0xff) in a field value',
    raw: 'GET / HTTP/1.1\r\nHost: a\r\nX-A: caf\xe9\r\n\r\n',
    requests: [{ method: 'GET', target: '/', headers: { 'x-a': 'caf\xe9' } }],
  },
  {
    name: 'one empty line before the request line is ignored',
    raw: `\r\n${GET}`,
    requests: [{ method: 'GET', target: '/' }],
  },
  {
    name: 'absolute-form target',
    raw: 'GET http://web.demo:8080/x?y=1 HTTP/1.1\r\nHost: web.demo:8080\r\n\r\n',
    requests: [{ method: 'GET', target: 'http://web.demo:8080/x?y=1' }],
  },
  { name: 'asterisk-form for OPTIONS', raw: 'OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n', requests: [{ method: 'OPTIONS', target: '*' }] },
  {
    name: 'a query with characters clients send unescaped',
    raw: 'GET /a/b?q=x|y&z="1"{}^` HTTP/1.1\r\nHost: a\r\n\r\n',
    requests: [{ method: 'GET', target: '/a/b?q=x|y&z="1"{}^`' }],
  },
  // Pipelining: every request, in order, each with its own body.
  {
    name: 'three pipelined requests in one write, bodies included',
    raw: `${GET}POST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabcPUT /3 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nde\r\n0\r\n\r\n`,
    requests: [
      { method: 'GET', target: '/', body: '' },
      { method: 'POST', target: '/2', body: 'abc' },
      { method: 'PUT', target: '/3', body: 'de' },
    ],
  },
  {
    name: 'a bad request after a good one: the first is served, then the connection refused',
    raw: `${GET}GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab`,
    requests: [{ method: 'GET', target: '/' }],
    refused: 'DUPLICATE_CONTENT_LENGTH',
  },
  // Expect, CONNECT, Upgrade.
  {
    name: 'Expect: 100-continue with a body',
    raw: 'POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok',
    requests: [{ method: 'POST', target: '/', body: 'ok', expectContinue: true }],
  },
  {
    name: 'CONNECT to host:port',
    raw: 'CONNECT web.demo:80 HTTP/1.1\r\nHost: web.demo:80\r\n\r\n',
    requests: [{ method: 'CONNECT', target: 'web.demo:80' }],
  },
  {
    name: 'an Upgrade request is a request that names its upgrade',
    raw: 'GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n',
    requests: [{ method: 'GET', target: '/ws', upgrade: 'websocket' }],
  },
  {
    name: 'a method Node does not know is still a token',
    raw: 'BREW /pot HTTP/1.1\r\nHost: a\r\n\r\n',
    requests: [{ method: 'BREW', target: '/pot' }],
    differs: 'Node refuses methods outside its fixed list; RFC 9110 section 9.1 allows any token, and a proxy forwards them',
  },

  // Refusals: framing that two parsers could read differently.
  {
    name: 'Content-Length and Transfer-Encoding together',
    raw: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    requests: [],
    refused: 'CL_AND_TE',
  },
  {
    name: 'Transfer-Encoding before Content-Length',
    raw: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n',
    requests: [],
    refused: 'CL_AND_TE',
  },
  {
    name: 'two equal Content-Length fields',
    raw: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nab',
    requests: [],
    refused: 'DUPLICATE_CONTENT_LENGTH',
  },
  {
    name: 'a Content-Length list',
    raw: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2, 2\r\n\r\nab',
    requests: [],
    refused: 'BAD_CONTENT_LENGTH',
  },
  {
    name: 'differing Content-Length fields',
    raw: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc',
    requests: [],
    refused: 'DUPLICATE_CONTENT_LENGTH',
  },
  { name: 'a signed Content-Length', raw: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +2\r\n\r\nab', requests: [], refused: 'BAD_CONTENT_LENGTH' },
  { name: 'a hex Content-Length', raw: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x2\r\n\r\nab', requests: [], refused: 'BAD_CONTENT_LENGTH' },
  {
    name: 'a Content-Length beyond 2^53',
    raw: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n',
    requests: [],
    refused: 'BAD_CONTENT_LENGTH',
  },
  {
    name: 'Transfer-Encoding: chunked twice',
    raw: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n',
    requests: [],
    refused: 'UNSUPPORTED_TRANSFER_CODING',
  },
  {
    name: 'Transfer-Encoding: gzip, chunked (a coding we would drop when forwarding)',
    raw: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n',
    requests: [],
    refused: 'UNSUPPORTED_TRANSFER_CODING',
    differs: 'Node passes the body on still gzip-coded; we reframe bodies upstream and would lose the coding, so 501 (RFC 9112 section 6.1)',
  },
  {
    name: 'Transfer-Encoding whose final coding is not chunked',
    raw: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n',
    requests: [],
    refused: 'CHUNKED_NOT_FINAL',
  },
  {
    name: 'Transfer-Encoding: identity',
    raw: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n',
    requests: [],
    refused: 'CHUNKED_NOT_FINAL',
  },
  {
    name: 'Transfer-Encoding split over two fields, chunked first',
    raw: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n0\r\n\r\n',
    requests: [],
    refused: 'CHUNKED_NOT_FINAL',
  },
  {
    name: 'obs-fold in a field value',
    raw: 'GET / HTTP/1.1\r\nHost: a\r\nX-A: one\r\n two\r\n\r\n',
    requests: [],
    refused: 'OBS_FOLD',
  },
  {
    name: 'obs-fold continuing Transfer-Encoding',
    raw: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n',
    requests: [],
    refused: 'OBS_FOLD',
  },
  { name: 'whitespace before the colon', raw: 'GET / HTTP/1.1\r\nHost: a\r\nX-A : 1\r\n\r\n', requests: [], refused: 'BAD_FIELD_NAME' },
  {
    name: 'whitespace before the colon of Transfer-Encoding',
    raw: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\nContent-Length: 1\r\n\r\nx',
    requests: [],
    refused: 'BAD_FIELD_NAME',
  },
  { name: 'a field line without a colon', raw: 'GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n', requests: [], refused: 'BAD_FIELD_NAME' },
  { name: 'a field name with a non-token byte', raw: 'GET / HTTP/1.1\r\nHost: a\r\nX\x01A: 1\r\n\r\n', requests: [], refused: 'BAD_FIELD_NAME' },
  { name: 'NUL in a field value', raw: 'GET / HTTP/1.1\r\nHost: a\r\nX-A: a\x00b\r\n\r\n', requests: [], refused: 'BAD_FIELD_VALUE' },
  { name: 'a control byte in a field value', raw: 'GET / HTTP/1.1\r\nHost: a\r\nX-A: a\x1bb\r\n\r\n', requests: [], refused: 'BAD_FIELD_VALUE' },
  { name: 'a bare CR inside a field value', raw: 'GET / HTTP/1.1\r\nHost: a\r\nX-A: a\rb\r\n\r\n', requests: [], refused: 'BARE_CR' },
  { name: 'a bare CR ending a field line', raw: 'GET / HTTP/1.1\r\nHost: a\rX-A: 1\r\n\r\n', requests: [], refused: 'BARE_CR' },
  { name: 'a bare LF ending the request line', raw: 'GET / HTTP/1.1\nHost: a\r\n\r\n', requests: [], refused: 'BARE_LF' },
  { name: 'a bare LF ending a field line', raw: 'GET / HTTP/1.1\r\nHost: a\nX-A: 1\r\n\r\n', requests: [], refused: 'BARE_LF' },
  { name: 'a head ended by LF LF', raw: 'GET / HTTP/1.1\r\nHost: a\n\n', requests: [], refused: 'BARE_LF' },
  // Chunked framing.
  {
    name: 'a chunk size that is not hex',
    raw: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nz\r\nx\r\n0\r\n\r\n',
    requests: [{ method: 'POST', target: '/' }],
    refused: 'BAD_CHUNK_SIZE',
  },
  {
    name: 'a 0x-prefixed chunk size',
    raw: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n',
    requests: [{ method: 'POST', target: '/' }],
    refused: 'BAD_CHUNK_SIZE',
  },
  {
    name: 'a negative chunk size',
    raw: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\nx\r\n0\r\n\r\n',
    requests: [{ method: 'POST', target: '/' }],
    refused: 'BAD_CHUNK_SIZE',
  },
  {
    name: 'an empty chunk size',
    raw: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n\r\nx\r\n0\r\n\r\n',
    requests: [{ method: 'POST', target: '/' }],
    refused: 'BAD_CHUNK_SIZE',
  },
  {
    name: 'a chunk size that overflows 64 bits',
    raw: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000001\r\nx\r\n0\r\n\r\n',
    requests: [{ method: 'POST', target: '/' }],
    refused: 'BAD_CHUNK_SIZE',
  },
  {
    name: 'whitespace after a chunk size, no extension',
    raw: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n0\r\n\r\n',
    requests: [{ method: 'POST', target: '/' }],
    refused: 'BAD_CHUNK_SIZE',
  },
  {
    name: 'whitespace between a chunk size and its extension',
    raw: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5 ;a=b\r\nhello\r\n0\r\n\r\n',
    requests: [{ method: 'POST', target: '/' }],
    refused: 'BAD_CHUNK_SIZE',
  },
  {
    name: 'a chunk extension with a control byte',
    raw: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;a=\x01\r\nhello\r\n0\r\n\r\n',
    requests: [{ method: 'POST', target: '/' }],
    refused: 'BAD_CHUNK_EXTENSION',
  },
  {
    name: 'a bare LF ending a chunk-size line',
    raw: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n',
    requests: [{ method: 'POST', target: '/' }],
    refused: 'BARE_LF',
  },
  {
    name: 'chunk data longer than its size',
    raw: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n',
    requests: [{ method: 'POST', target: '/' }],
    refused: 'BAD_CHUNK_END',
  },
  {
    name: 'chunk data ended by LF alone',
    raw: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\n0\r\n\r\n',
    requests: [{ method: 'POST', target: '/' }],
    refused: 'BAD_CHUNK_END',
  },
  {
    name: 'an obs-fold in the trailers',
    raw: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: a\r\n b\r\n\r\n',
    requests: [{ method: 'POST', target: '/' }],
    refused: 'OBS_FOLD',
  },
  // Start lines: methods, targets, versions, the HTTP/2 preface.
  { name: 'a method with a non-token byte', raw: 'GE(T / HTTP/1.1\r\nHost: a\r\n\r\n', requests: [], refused: 'BAD_METHOD' },
  { name: 'an empty method', raw: ' / HTTP/1.1\r\nHost: a\r\n\r\n', requests: [], refused: 'BAD_METHOD' },
  {
    name: 'two spaces between method and target',
    raw: 'GET  / HTTP/1.1\r\nHost: a\r\n\r\n',
    requests: [],
    refused: 'BAD_REQUEST_LINE',
    differs: 'Node skips the extra space; RFC 9112 section 3 has exactly one SP, and leniency here is what lets two parsers split a line differently',
  },
  { name: 'a tab for a space in the request line', raw: 'GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n', requests: [], refused: 'BAD_REQUEST_LINE' },
  {
    name: 'a request line without a version',
    raw: 'GET /\r\nHost: a\r\n\r\n',
    requests: [],
    refused: 'BAD_REQUEST_LINE',
    differs: 'Node reads it as HTTP/0.9 (and then the next lines as a second request); RFC 9112 has no HTTP/0.9',
  },
  { name: 'a target with a space (an extra word)', raw: 'GET /a b HTTP/1.1\r\nHost: a\r\n\r\n', requests: [], refused: 'BAD_REQUEST_LINE' },
  { name: 'a target with a control byte', raw: 'GET /a\x01b HTTP/1.1\r\nHost: a\r\n\r\n', requests: [], refused: 'BAD_TARGET' },
  {
    name: 'a target with a raw non-ASCII byte',
    raw: 'GET /caf\xe9 HTTP/1.1\r\nHost: a\r\n\r\n',
    requests: [],
    refused: 'BAD_TARGET',
  },
  {
    name: 'a target that is neither origin- nor absolute-form',
    raw: 'GET index.html HTTP/1.1\r\nHost: a\r\n\r\n',
    requests: [],
    refused: 'BAD_TARGET',
  },
  {
    name: 'the asterisk form on GET',
    raw: 'GET * HTTP/1.1\r\nHost: a\r\n\r\n',
    requests: [],
    refused: 'BAD_TARGET',
    differs: 'Node passes it through; RFC 9112 section 3.2.4 keeps the asterisk form for OPTIONS',
  },
  {
    name: 'CONNECT with an origin-form target',
    raw: 'CONNECT / HTTP/1.1\r\nHost: a\r\n\r\n',
    requests: [],
    refused: 'BAD_TARGET',
    differs: 'Node hands it to the connect listener; RFC 9112 section 3.2.3: CONNECT takes host:port only',
  },
  { name: 'HTTP/1.2 (Node answers 400, we 505: RFC 9110 section 15.6.6)', raw: 'GET / HTTP/1.2\r\nHost: a\r\n\r\n', requests: [], refused: 'UNSUPPORTED_VERSION' },
  { name: 'HTTP/2.0 in an HTTP/1 request line', raw: 'GET / HTTP/2.0\r\nHost: a\r\n\r\n', requests: [], refused: 'UNSUPPORTED_VERSION', differs: 'Node answers 400; we answer 505' },
  { name: 'a lower-case version', raw: 'GET / http/1.1\r\nHost: a\r\n\r\n', requests: [], refused: 'BAD_REQUEST_LINE' },
  { name: 'a version with two digits', raw: 'GET / HTTP/1.10\r\nHost: a\r\n\r\n', requests: [], refused: 'BAD_REQUEST_LINE' },
  {
    name: 'the HTTP/2 prior-knowledge preface on an HTTP/1.1 connection',
    raw: 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n',
    requests: [],
    refused: 'HTTP2_PREFACE',
  },
  // Host.
  { name: 'HTTP/1.1 without Host', raw: 'GET / HTTP/1.1\r\n\r\n', requests: [], refused: 'MISSING_HOST' },
  {
    name: 'two Host fields',
    raw: 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n',
    requests: [],
    refused: 'DUPLICATE_HOST',
    differs: 'Node keeps the first Host; RFC 9112 section 3.2 requires 400, and the two could route differently',
  },
  // Limits.
  {
    name: 'a request line over MAX_REQUEST_LINE_BYTES',
    raw: `GET /${big(8 * 1024)} HTTP/1.1\r\nHost: a\r\n\r\n`,
    requests: [],
    refused: 'REQUEST_LINE_TOO_LONG',
    differs: 'Node has no request-line limit of its own (only the 16 KiB head): it accepts this; we answer 414 past 8 KiB as nginx does',
  },
  {
    name: 'a head over MAX_REQUEST_HEAD_BYTES',
    raw: `GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${big(16 * 1024)}\r\n\r\n`,
    requests: [],
    refused: 'HEAD_TOO_LARGE',
  },
  {
    name: 'more than MAX_HEADER_FIELDS fields',
    raw: `GET / HTTP/1.1\r\nHost: a\r\n${Array.from({ length: 100 }, (_, i) => `X-${i}: ${i}\r\n`).join('')}\r\n`,
    requests: [],
    refused: 'TOO_MANY_FIELDS',
    differs: 'Node keeps the first 2,000 fields and drops the rest silently; we answer 431 past 100 as Envoy does',
  },
  // Truncation.
  {
    name: 'a body cut short by the end of the connection',
    raw: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nshort',
    requests: [{ method: 'POST', target: '/' }],
    refused: 'INCOMPLETE',
  },
  {
    name: 'a head cut short by the end of the connection',
    raw: 'GET / HTTP/1.1\r\nHost: a\r\n',
    requests: [],
    refused: 'INCOMPLETE',
  },
];
