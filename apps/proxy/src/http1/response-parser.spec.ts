import { describe, expect, it } from 'vitest';
import { Http1ParseError, MAX_RESPONSE_HEAD_BYTES, ResponseParser, type Fields } from './response-parser';

interface Parsed {
  status?: number;
  headers?: Fields;
  body: string;
  trailers?: Fields;
  keepAlive: boolean;
}

/** Feeds `text` in pieces of `step` bytes (all at once when 0) and records what the parser reported. */
function parse(text: string, opts: { method?: string; step?: number; close?: boolean } = {}): Parsed {
  const out: Parsed = { body: '', keepAlive: false };
  const parser = new ResponseParser({
    onHead: (status, headers) => Object.assign(out, { status, headers }),
    onBody: (chunk) => (out.body += chunk.toString('latin1')),
    onEnd: (trailers) => (out.trailers = trailers),
  });
  parser.expect(opts.method ?? 'GET');
  const data = Buffer.from(text, 'latin1');
  const step = opts.step ?? 0;
  if (step === 0) parser.execute(data);
  else for (let i = 0; i < data.length; i += step) parser.execute(data.subarray(i, i + step));
  if (opts.close) parser.finish();
  out.keepAlive = parser.keepAlive;
  return out;
}

const CHUNKED = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\ngrpc-status: 0\r\n\r\n';

describe('ResponseParser', () => {
  it.each([0, 1, 3, 7])('reads a Content-Length body fed %i bytes at a time', (step) => {
    const r = parse('HTTP/1.1 200 OK\r\nContent-Length: 11\r\nX-A: 1\r\nx-a: 2\r\n\r\nhello world', { step });
    expect(r).toMatchObject({ status: 200, body: 'hello world', trailers: {}, keepAlive: true });
    expect(r.headers).toEqual({ 'content-length': '11', 'x-a': ['1', '2'] });
  });

  it.each([0, 1, 4])('reads a chunked body with extensions and trailers fed %i bytes at a time', (step) => {
    const r = parse(CHUNKED, { step });
    expect(r).toMatchObject({ status: 200, body: 'hello world', trailers: { 'grpc-status': '0' }, keepAlive: true });
  });

  it('reads no body for HEAD, 204 and 304, whatever the framing fields say', () => {
    expect(parse('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n', { method: 'HEAD' })).toMatchObject({ status: 200, body: '', trailers: {} });
    expect(parse('HTTP/1.1 204 No Content\r\n\r\n')).toMatchObject({ status: 204, trailers: {} });
    expect(parse('HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n')).toMatchObject({ status: 304, trailers: {} });
  });

  it('skips interim 1xx heads', () => {
    const r = parse('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok');
    expect(r).toMatchObject({ status: 201, body: 'ok' });
  });

  it('reads a body delimited by the close, and then the connection is not reused', () => {
    const r = parse('HTTP/1.1 200 OK\r\n\r\nuntil the end', { close: true });
    expect(r).toMatchObject({ body: 'until the end', trailers: {}, keepAlive: false });
  });

  it('does not reuse a connection the server closes or that speaks HTTP/1.0', () => {
    expect(parse('HTTP/1.1 200 OK\r\nConnection: keep-alive, close\r\nContent-Length: 0\r\n\r\n').keepAlive).toBe(false);
    expect(parse('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n').keepAlive).toBe(false);
  });

  it.each([
    ['obsolete line folding', 'HTTP/1.1 200 OK\r\nX-A: 1\r\n 2\r\nContent-Length: 0\r\n\r\n'],
    ['whitespace before the colon', 'HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n'],
    ['a control character in a value', 'HTTP/1.1 200 OK\r\nX-A: a\x01b\r\nContent-Length: 0\r\n\r\n'],
    ['a bare LF inside a field', 'HTTP/1.1 200 OK\r\nX-A: a\nContent-Length: 5\r\nContent-Length: 0\r\n\r\n'],
    ['Content-Length with Transfer-Encoding', 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
    ['differing Content-Lengths', 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd'],
    ['a signed Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: +3\r\n\r\nabc'],
    ['chunked before another coding', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n'],
    ['a chunk size that is not hex', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'],
    ['a chunk size that overflows', `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${'f'.repeat(17)}\r\n`],
    ['chunk data without its CRLF', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n'],
    ['bytes after the response', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n\r\n'],
    ['a malformed status line', 'HTTP/1.1 2000 OK\r\n\r\n'],
    ['a protocol switch', 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n'],
    ['an oversized head', `HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(MAX_RESPONSE_HEAD_BYTES)}\r\n\r\n`],
  ])('refuses %s', (_name, text) => {
    expect(() => parse(text)).toThrow(Http1ParseError);
    expect(() => parse(text, { step: 1 })).toThrow(Http1ParseError);
  });

  it('refuses a head that never ends once it outgrows the limit, before the end arrives', () => {
    const parser = new ResponseParser({ onHead: () => undefined, onBody: () => undefined, onEnd: () => undefined });
    parser.expect('GET');
    expect(() => parser.execute(Buffer.from(`HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(MAX_RESPONSE_HEAD_BYTES + 1)}`))).toThrow(/too large/);
  });

  it('refuses a response cut short by the close', () => {
    expect(() => parse('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort', { close: true })).toThrow(/closed before/);
    expect(() => parse('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel', { close: true })).toThrow(/closed before/);
  });

  it('reports the end only after checking that nothing follows it', () => {
    let ended = false;
    const parser = new ResponseParser({ onHead: () => undefined, onBody: () => undefined, onEnd: () => (ended = true) });
    parser.expect('GET');
    expect(() => parser.execute(Buffer.from('HTTP/1.1 204 No Content\r\n\r\njunk'))).toThrow(Http1ParseError);
    expect(ended).toBe(false);
  });
});
