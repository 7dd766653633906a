import net, { type AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { Http1Pool, type Control, type Http1Request } from './pool';
import type { Fields } from './response-parser';

const OPTIONS = { maxConnections: 8, keepAliveMs: 4_000, connectTimeoutMs: 1_000 };

interface Result {
  status: number;
  headers: Fields;
  body: string;
  trailers: Fields;
}

/** One request through the pool, resolved with the whole response or rejected with the pool's error. */
function send(pool: Http1Pool, req: Partial<Http1Request> = {}, onStart?: (control: Control) => void): Promise<Result> {
  return new Promise((resolve, reject) => {
    let status = 0;
    let headers: Fields = {};
    let body = '';
    pool.dispatch(
      { method: 'GET', path: '/', headers: ['host', 'test'], body: null, ...req },
      {
        onRequestStart: (control) => onStart?.(control),
        onResponseStart: (_c, s, h) => {
          status = s;
          headers = h;
        },
        onResponseData: (_c, chunk) => (body += chunk.toString()),
        onResponseEnd: (_c, trailers) => resolve({ status, headers, body, trailers }),
        onResponseError: (_c, err) => reject(err),
      },
    );
  });
}

/** A raw HTTP/1.1 server: `answer` sees each request head (and body bytes) per connection and writes the response. */
async function rawServer(answer: (request: string, socket: net.Socket, index: number) => void) {
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const server = net.createServer((socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffered = '';
    let index = 0;
    socket.on('data', (chunk) => {
      buffered += chunk.toString('latin1');
      for (;;) {
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buffered.slice(0, end + 4);
        const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
        const chunkedEnd = /transfer-encoding: chunked/i.test(head) ? buffered.indexOf('0\r\n\r\n', end + 4) : -1;
        const total = chunkedEnd >= 0 ? chunkedEnd + 5 : end + 4 + length;
        if (/transfer-encoding: chunked/i.test(head) && chunkedEnd < 0) return;
        if (buffered.length < total) return;
        const request = buffered.slice(0, total);
        buffered = buffered.slice(total);
        answer(request, socket, index++);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => connections,
    open: () => sockets.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

const OK = (body: string) => `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`;

describe('Http1Pool', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  async function setup(answer: Parameters<typeof rawServer>[0], options = OPTIONS) {
    const server = await rawServer(answer);
    const pool = new Http1Pool('127.0.0.1', server.port, options);
    cleanups.push(() => pool.close(), () => server.close());
    return { server, pool };
  }

  it('sends requests one after another over one kept-alive connection', async () => {
    const seen: string[] = [];
    const { server, pool } = await setup((req, socket) => {
      seen.push(req.split('\r\n')[0] ?? '');
      socket.write(OK('hi'));
    });
    for (const path of ['/a', '/b', '/c']) expect((await send(pool, { path })).body).toBe('hi');
    expect(seen).toEqual(['GET /a HTTP/1.1', 'GET /b HTTP/1.1', 'GET /c HTTP/1.1']);
    expect(server.connections()).toBe(1);
  });

  it('sends header bytes 0x80-0xff as they were read (latin1), not re-encoded as UTF-8', async () => {
    const heads: Buffer[] = [];
    const { pool } = await setup((req, socket) => {
      heads.push(Buffer.from(req, 'latin1'));
      socket.write(OK('ok'));
    });
    // The parsers read a head as latin1, so the byte 0xe9 arrives as the character U+00E9.
    expect((await send(pool, { headers: ['host', 'test', 'x-name', 'caf\u00e9'] })).status).toBe(200);
    const head = heads[0] ?? Buffer.alloc(0);
    expect(head.includes(Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0d, 0x0a]))).toBe(true);
    expect(head.includes(Buffer.from([0xc3, 0xa9]))).toBe(false);
  });

  it('closes a connection left idle for keepAliveMs; the next request opens a new one', async () => {
    const { server, pool } = await setup((_req, socket) => socket.write(OK('hi')), { ...OPTIONS, keepAliveMs: 50 });
    await send(pool);
    expect(server.connections()).toBe(1);
    for (let waited = 0; server.open() > 0 && waited < 100; waited++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(server.open()).toBe(0);
    expect((await send(pool)).body).toBe('hi');
    expect(server.connections()).toBe(2);
  });

  it('frames a buffered body with its length and a stream of unknown length as chunked', async () => {
    const requests: string[] = [];
    const { pool } = await setup((req, socket) => {
      requests.push(req);
      socket.write(OK('ok'));
    });
    await send(pool, { method: 'POST', headers: ['host', 'test', 'content-length', '999'], body: Buffer.from('abc') });
    const stream = new PassThrough();
    const streamed = send(pool, { method: 'POST', body: stream });
    stream.write('hello ');
    stream.end('world');
    await streamed;
    expect(requests[0]).toBe('POST / HTTP/1.1\r\nhost: test\r\ncontent-length: 3\r\n\r\nabc');
    expect(requests[1]).toBe('POST / HTTP/1.1\r\nhost: test\r\ntransfer-encoding: chunked\r\n\r\n6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n');
  });

  it('sends an idempotent request again when the server had closed the reused connection, but not a POST', async () => {
    const { server, pool } = await setup((_req, socket, index) => {
      // Every connection serves one request, then drops the next without answering (a server closing an idle socket).
      if (index === 0) socket.write(OK('first'));
      else socket.destroy();
    });
    expect((await send(pool)).body).toBe('first');
    expect((await send(pool)).body).toBe('first');
    expect(server.connections()).toBe(2);
    await expect(send(pool, { method: 'POST', body: Buffer.from('x') })).rejects.toMatchObject({ code: 'ECONNRESET' });
  });

  it('queues requests beyond maxConnections and serves them as connections free up', async () => {
    const { server, pool } = await setup((_req, socket) => setTimeout(() => socket.write(OK('slow')), 30), { ...OPTIONS, maxConnections: 2 });
    const results = await Promise.all(Array.from({ length: 6 }, () => send(pool)));
    expect(results.map((r) => r.body)).toEqual(Array(6).fill('slow'));
    expect(server.connections()).toBe(2);
  });

  it('fails a malformed response and does not reuse its connection', async () => {
    const { server, pool } = await setup((req, socket) => {
      if (req.startsWith('GET /bad')) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n');
      else socket.write(OK('good'));
    });
    await expect(send(pool, { path: '/bad' })).rejects.toMatchObject({ code: 'HTTP1_PARSE_ERROR' });
    expect((await send(pool)).body).toBe('good');
    expect(server.connections()).toBe(2);
  });

  it('opens a new connection after a response that closes its own', async () => {
    const { server, pool } = await setup((_req, socket) => socket.write('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx'));
    await send(pool);
    await send(pool);
    expect(server.connections()).toBe(2);
  });

  it('delivers a body delimited by the close, with trailers of a chunked one', async () => {
    const { pool } = await setup((req, socket) => {
      if (req.startsWith('GET /close')) socket.end('HTTP/1.1 200 OK\r\n\r\nto the end');
      else socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nx-t: 1\r\n\r\n');
    });
    expect((await send(pool, { path: '/close' })).body).toBe('to the end');
    expect(await send(pool, { path: '/chunked' })).toMatchObject({ body: 'ok', trailers: { 'x-t': '1' } });
  });

  it('cuts the connection of an aborted request and serves the next one on a new connection', async () => {
    const { server, pool } = await setup((req, socket) => {
      if (req.startsWith('GET /hang')) return;
      socket.write(OK('fine'));
    });
    const hung = send(pool, { path: '/hang' }, (control) => setTimeout(() => control.abort(new Error('client went away')), 20));
    await expect(hung).rejects.toThrow('client went away');
    expect((await send(pool)).body).toBe('fine');
    expect(server.connections()).toBe(2);
  });

  it('reports a refused connection with its code', async () => {
    const { port, close } = await rawServer(() => undefined);
    await close();
    const pool = new Http1Pool('127.0.0.1', port, OPTIONS);
    cleanups.push(() => pool.close());
    await expect(send(pool)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('close() lets requests in flight finish, then closes every socket and refuses new requests', async () => {
    const { server, pool } = await setup((_req, socket) => setTimeout(() => socket.write(OK('done')), 50));
    const inFlight = send(pool);
    await new Promise((r) => setTimeout(r, 10));
    const closed = pool.close();
    expect(pool.close()).toBe(closed);
    expect((await inFlight).body).toBe('done');
    await closed;
    await expect(send(pool)).rejects.toMatchObject({ code: 'HTTP1_POOL_CLOSED' });
    for (let i = 0; i < 50 && server.open() > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(server.open()).toBe(0);
  });
});
