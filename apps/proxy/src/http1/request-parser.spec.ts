import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_REQUEST_HEAD_BYTES, RequestParser, REQUEST_ERROR_STATUS } from './request-parser';
import { parseRequests, splitAt, type ParseOutcome } from './testing/parse-requests';
import { REQUEST_CORPUS, type CorpusCase } from './testing/request-corpus';

/** The comparable part of an outcome: what the corpus states. */
function summary(outcome: ParseOutcome) {
  return {
    requests: outcome.requests.map((r) => ({ method: r.head.method, target: r.head.target, body: r.body, headers: r.head.headers })),
    refused: outcome.refused,
  };
}

function expectCase(c: CorpusCase, outcome: ParseOutcome): void {
  expect(outcome.refused, c.name).toBe(c.refused);
  expect(outcome.requests.length, c.name).toBe(c.requests.length);
  c.requests.forEach((want, i) => {
    const got = outcome.requests[i]!;
    expect(got.head.method).toBe(want.method);
    expect(got.head.target).toBe(want.target);
    if (want.body !== undefined && c.refused === undefined) expect(got.body).toBe(want.body);
    if (want.headers !== undefined) expect(got.head.headers).toMatchObject(want.headers);
    if (want.expectContinue !== undefined) expect(got.head.expectContinue).toBe(want.expectContinue);
    if (want.upgrade !== undefined) expect(got.head.upgrade).toBe(want.upgrade);
    if (want.keepAlive !== undefined) expect(got.head.keepAlive).toBe(want.keepAlive);
  });
}

describe('RequestParser on the corpus', () => {
  it.each(REQUEST_CORPUS.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const data = Buffer.from(c.raw, 'latin1');
    expectCase(c, parseRequests([data]));
    // Byte by byte, the outcome is the same.
    expectCase(c, parseRequests(splitAt(data, Array.from({ length: data.length }, (_, i) => i))));
  });

  it('covers every refusal code with at least one case', () => {
    const covered = new Set(REQUEST_CORPUS.map((c) => c.refused));
    for (const code of Object.keys(REQUEST_ERROR_STATUS)) expect(covered, code).toContain(code);
  });
});

describe('RequestParser', () => {
  it('keeps pipelined bytes until next(), and hands the bytes after CONNECT to the tunnel', () => {
    const seen: string[] = [];
    const parser = new RequestParser({ onHead: (h) => seen.push(h.target), onBody: () => undefined, onEnd: () => seen.push('end') });
    parser.execute(Buffer.from('GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n'));
    expect(seen).toEqual(['/1', 'end']);
    expect(parser.done).toBe(true);
    parser.next();
    expect(seen).toEqual(['/1', 'end', '/2', 'end']);
    parser.next();
    parser.execute(Buffer.from('CONNECT a:80 HTTP/1.1\r\nHost: a:80\r\n\r\nGET / HTTP/1.1\r\n'));
    expect(parser.tunnel).toBe(true);
    expect(parser.takeRest()?.toString()).toBe('GET / HTTP/1.1\r\n');
  });

  it('refuses an oversized head before its end arrives, and a slow request line before its line ends', () => {
    const parser = new RequestParser({ onHead: () => undefined, onBody: () => undefined, onEnd: () => undefined });
    parser.execute(Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n'));
    const flood = () => parser.execute(Buffer.alloc(MAX_REQUEST_HEAD_BYTES, 'x'));
    expect(flood).toThrow(expect.objectContaining({ name: 'RequestParseError', code: 'HEAD_TOO_LARGE', status: 431 }));
    const line = new RequestParser({ onHead: () => undefined, onBody: () => undefined, onEnd: () => undefined });
    expect(() => line.execute(Buffer.from(`GET /${'a'.repeat(9000)}`))).toThrow(expect.objectContaining({ code: 'REQUEST_LINE_TOO_LONG', status: 414 }));
  });
});

const token = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,15}$/);
const fieldValue = fc.stringMatching(/^[!-~]([ -~]{0,30}[!-~])?$/);
const pathPart = fc.stringMatching(/^[A-Za-z0-9._~-]{0,12}$/);

/** A valid request with its framing, as raw bytes, and the body it carries. */
const validRequest = fc
  .record({
    method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'),
    path: fc.array(pathPart, { maxLength: 4 }),
    fields: fc.array(fc.tuple(token, fieldValue), { maxLength: 8 }),
    body: fc.uint8Array({ maxLength: 300 }),
    framing: fc.constantFrom('length', 'chunked', 'none'),
    chunkSizes: fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 6 }),
  })
  .map(({ method, path, fields, body, framing, chunkSizes }) => {
    const reserved = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'expect', 'upgrade']);
    const lines = [`${method} /${path.join('/')} HTTP/1.1`, 'Host: svc.test'];
    for (const [name, value] of fields) if (!reserved.has(name.toLowerCase())) lines.push(`${name}: ${value}`);
    const data = framing === 'none' ? Buffer.alloc(0) : Buffer.from(body);
    let encoded: Buffer = data;
    if (framing === 'length') lines.push(`Content-Length: ${data.length}`);
    if (framing === 'chunked') {
      lines.push('Transfer-Encoding: chunked');
      const parts: Buffer[] = [];
      let at = 0;
      let i = 0;
      while (at < data.length) {
        const size = Math.min(chunkSizes[i++ % chunkSizes.length]!, data.length - at);
        parts.push(Buffer.from(`${size.toString(16)};n=${i}\r\n`), data.subarray(at, at + size), Buffer.from('\r\n'));
        at += size;
      }
      parts.push(Buffer.from('0\r\n\r\n'));
      encoded = Buffer.concat(parts);
    }
    return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), encoded]);
  });

describe('RequestParser properties', () => {
  it('reads the same requests however pipelined requests are split across reads', () => {
    fc.assert(
      fc.property(fc.array(validRequest, { minLength: 1, maxLength: 4 }), fc.array(fc.nat(), { maxLength: 20 }), (requests, cuts) => {
        const data = Buffer.concat(requests);
        const whole = parseRequests([data]);
        expect(whole.refused).toBeUndefined();
        expect(whole.requests).toHaveLength(requests.length);
        const split = parseRequests(splitAt(data, cuts.map((c) => c % (data.length + 1))));
        expect(summary(split)).toEqual(summary(whole));
      }),
      { numRuns: 300 },
    );
  });

  it('never throws anything but RequestParseError on random bytes, whole or split', () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 400 }),
      // Mostly-valid heads with random bytes mixed in reach deeper states than pure noise.
      fc.tuple(validRequest, fc.uint8Array({ maxLength: 60 }), fc.nat()).map(([req, noise, at]) => {
        const cut = at % (req.length + 1);
        return Buffer.concat([req.subarray(0, cut), noise, req.subarray(cut)]);
      }),
    );
    fc.assert(
      fc.property(bytes, fc.array(fc.nat(), { maxLength: 10 }), (raw, cuts) => {
        const data = Buffer.from(raw);
        const whole = parseRequests([data]);
        const split = parseRequests(splitAt(data, cuts.map((c) => c % (data.length + 1))));
        expect(split.refused === undefined).toBe(whole.refused === undefined);
      }),
      { numRuns: 1000 },
    );
  });
});
