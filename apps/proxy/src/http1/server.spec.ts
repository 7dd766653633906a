import http from 'node:http';
import net, { type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Http1Server, type Http1ServerOptions, type RequestListener } from './server';
import { HEAD_TIMEOUT_MS, KEEP_ALIVE_TIMEOUT_MS } from './server-limits';
import type { ServerRequest } from './server-request';
import type { ServerResponse } from './server-response';

const servers: net.Server[] = [];
const http1Servers: Http1Server[] = [];

afterEach(async () => {
  for (const server of http1Servers.splice(0)) server.closeAllConnections();
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

async function start(listener: RequestListener, options?: Http1ServerOptions): Promise<{ port: number; server: Http1Server }> {
  const server = new Http1Server(listener, options);
  http1Servers.push(server);
  const listening = net.createServer((socket) => server.accept(socket));
  servers.push(listening);
  await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
  return { port: (listening.address() as AddressInfo).port, server };
}

/** Writes raw bytes, half-closes when `end`, and collects everything until the server closes. */
function exchange(port: number, raw: string, opts: { end?: boolean } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1' }, () => (opts.end === false ? socket.write(raw, 'latin1') : socket.end(raw, 'latin1')));
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.once('close', () => resolve(text));
    socket.once('error', reject);
  });
}

/** Reads until `predicate` holds for the text received so far. */
function readUntil(socket: Socket, predicate: (text: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (!predicate(text)) return;
      socket.off('data', onData);
      resolve(text);
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.once('close', () => reject(new Error(`closed after ${JSON.stringify(text)}`)));
  });
}

/** A POST body far larger than the kernel's socket buffers, so only the server's reading lets it through. */
const LARGE_UPLOAD_BYTES = 32 * 1024 * 1024;

/**
 * Sends a LARGE_UPLOAD_BYTES POST to a server whose handler sets itself up and returns `read`, which starts (or
 * resumes) reading the body; the handler calls `done` with the bytes it read.
 */
function largeUpload(handler: (req: ServerRequest, res: ServerResponse, done: (bytes: number) => void) => () => void) {
  let read: () => void = () => undefined;
  let serverSocket: Socket | undefined;
  const received = new Promise<number>((resolve) => {
    void start((req, res) => {
      serverSocket = req.socket;
      read = handler(req, res, resolve);
    }).then(({ port }) => {
      const client = net.connect({ port, host: '127.0.0.1' }, () => {
        client.write(`POST / HTTP/1.1\r\nHost: a\r\nContent-Length: ${LARGE_UPLOAD_BYTES}\r\n\r\n`);
        client.write(Buffer.alloc(LARGE_UPLOAD_BYTES, 'x'));
      });
      client.resume();
    });
  });
  return { received, read: () => read(), serverBytesRead: () => serverSocket?.bytesRead };
}

const echo: RequestListener = (req, res) => {
  const chunks: Buffer[] = [];
  req.body.on('data', (c: Buffer) => chunks.push(c));
  req.body.on('end', () => {
    res.writeHead(200, { 'x-method': req.method, 'x-url': req.url });
    res.end(Buffer.concat(chunks));
  });
};

describe('Http1Server', () => {
  it('keeps the connection alive and frames a whole response with Content-Length and a Date', async () => {
    const { port } = await start(echo);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const get = (path: string) =>
      new Promise<{ headers: http.IncomingHttpHeaders; body: string; socket: Socket }>((resolve, reject) => {
        const req = http.request({ port, host: '127.0.0.1', path, method: 'POST', agent }, (res) => {
          let body = '';
          res.setEncoding('latin1');
          res.on('data', (c: string) => (body += c));
          res.on('end', () => resolve({ headers: res.headers, body, socket: req.socket as Socket }));
        });
        req.on('error', reject);
        req.end(`body of ${path}`);
      });
    const first = await get('/one');
    const second = await get('/two');
    agent.destroy();
    expect(first).toMatchObject({ body: 'body of /one', headers: { 'x-url': '/one', 'content-length': '12' } });
    expect(first.headers.date).toMatch(/GMT$/);
    expect(second.body).toBe('body of /two');
    expect(second.socket).toBe(first.socket);
  });

  it('answers pipelined requests in order, one at a time', async () => {
    const order: string[] = [];
    let releaseFirst: () => void = () => undefined;
    const { port } = await start((req, res) => {
      order.push(`start ${req.url}`);
      const answer = () => {
        order.push(`end ${req.url}`);
        res.writeHead(200, {});
        res.end(req.url);
      };
      req.body.resume();
      if (req.url === '/1') releaseFirst = answer;
      else answer();
    });
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.write(
      'GET /1 HTTP/1.1\r\nHost: a\r\n\r\nPOST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabcGET /3 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n',
    );
    const closed = new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (c: Buffer) => (text += c.toString('latin1')));
      socket.once('close', () => resolve(text));
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(order).toEqual(['start /1']);
    releaseFirst();
    const text = await closed;
    expect(order).toEqual(['start /1', 'end /1', 'start /2', 'end /2', 'start /3', 'end /3']);
    expect([...text.matchAll(/\r\n\r\n(\/\d)/g)].map((m) => m[1])).toEqual(['/1', '/2', '/3']);
    expect(text).toContain('connection: close');
  });

  it('answers Expect: 100-continue before the body is sent', async () => {
    const { port } = await start(echo);
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.write('PUT /up HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n');
    expect(await readUntil(socket, (t) => t.includes('\r\n\r\n'))).toBe('HTTP/1.1 100 Continue\r\n\r\n');
    socket.write('hello');
    expect(await readUntil(socket, (t) => t.endsWith('hello'))).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    socket.destroy();
  });

  it('streams a request body with backpressure: a handler that does not read stops the client', async () => {
    const upload = largeUpload((req, res, done) => {
      let n = 0;
      req.body.pause();
      req.body.on('data', (c: Buffer) => (n += c.length));
      req.body.on('end', () => {
        res.end('done');
        done(n);
      });
      return () => req.body.resume();
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Kernel buffers hold a few MiB at most: the server stopped reading long before the end.
    expect(upload.serverBytesRead()).toBeLessThan(LARGE_UPLOAD_BYTES / 2);
    upload.read();
    expect(await upload.received).toBe(LARGE_UPLOAD_BYTES);
  });

  it('delivers a body asked for only after the whole request arrived, chunked or not', async () => {
    const { port } = await start((req, res) => {
      setTimeout(() => {
        const chunks: Buffer[] = [];
        req.body.on('data', (c: Buffer) => chunks.push(c));
        req.body.on('end', () => res.end(`${req.complete} ${Buffer.concat(chunks).toString()}`));
      }, 50);
    });
    const socket = net.connect({ port, host: '127.0.0.1' });
    const first = readUntil(socket, (t) => t.endsWith('true hello'));
    socket.write('POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello');
    expect(await first).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    const second = readUntil(socket, (t) => t.endsWith('true chunked body'));
    socket.write('POST /b HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n8\r\nchunked \r\n4\r\nbody\r\n0\r\n\r\n');
    expect(await second).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    socket.destroy();
  });

  it('holds a body nobody asked for with backpressure, and streams it whole once asked', async () => {
    const upload = largeUpload((req, res, done) => () => {
      let n = 0;
      req.body.on('data', (c: Buffer) => (n += c.length));
      req.body.on('end', () => {
        res.end('done');
        done(n);
      });
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(upload.serverBytesRead()).toBeLessThan(LARGE_UPLOAD_BYTES / 2);
    upload.read();
    expect(await upload.received).toBe(LARGE_UPLOAD_BYTES);
  });

  it('fails a body asked for after the client went away in the middle of it', async () => {
    let gone: (req: ServerRequest) => void = () => undefined;
    const request = new Promise<ServerRequest>((resolve) => (gone = resolve));
    const { port } = await start((req, res) => {
      res.once('close', () => gone(req));
    });
    const client = net.connect({ port, host: '127.0.0.1' }, () => client.write('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nhalf', () => client.destroy()));
    const req = await request;
    expect(req.complete).toBe(false);
    const failure = await new Promise<Error>((resolve) => req.body.once('error', resolve));
    expect(failure.message).toBe('aborted');
    expect(req.body.destroyed).toBe(true);
  });

  it('chunks a streamed response and sends no body for HEAD', async () => {
    const { port } = await start((req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('part one, ');
      res.end('part two');
    });
    const body = await new Promise<{ te: string | undefined; text: string }>((resolve, reject) => {
      http
        .get({ port, host: '127.0.0.1', path: '/' }, (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c));
          res.on('end', () => resolve({ te: res.headers['transfer-encoding'], text }));
        })
        .on('error', reject);
    });
    expect(body).toEqual({ te: 'chunked', text: 'part one, part two' });
    const head = await exchange(port, 'HEAD / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(head.endsWith('\r\n\r\n')).toBe(true);
  });

  it.each([
    ['Content-Length with Transfer-Encoding', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400, 'bad request'],
    ['a head over 16 KiB', `GET / HTTP/1.1\r\nHost: a\r\nX: ${'y'.repeat(17 * 1024)}\r\n\r\n`, 431, 'request headers too large'],
    ['a request line over 8 KiB', `GET /${'y'.repeat(9 * 1024)} HTTP/1.1\r\nHost: a\r\n\r\n`, 414, 'request line too long'],
    ['HTTP/1.2', 'GET / HTTP/1.2\r\nHost: a\r\n\r\n', 505, 'HTTP version not supported'],
    ['gzip, chunked', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n', 501, 'transfer coding not supported'],
    ['an unknown expectation', 'GET / HTTP/1.1\r\nHost: a\r\nExpect: tea\r\n\r\n', 417, 'expectation not supported'],
  ])('refuses %s with its status and the proxy error reason, then closes', async (_name, raw, status, reason) => {
    let handled = 0;
    const { port } = await start(() => handled++);
    const text = await exchange(port, raw, { end: false });
    expect(text).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
    expect(text).toContain(`l5d-proxy-error: ${reason}\r\n`);
    expect(text).toContain('connection: close\r\n');
    expect(handled).toBe(0);
  });

  it('tells the response when the client goes away before it is finished', async () => {
    const closed = new Promise<boolean>((resolve) => {
      void start((_req, res) => {
        res.once('close', () => resolve(res.writableFinished));
        res.writeHead(200, {});
        res.write('partial');
      }).then(({ port }) => {
        const client = net.connect({ port, host: '127.0.0.1' }, () => client.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n'));
        client.once('data', () => client.destroy());
      });
    });
    expect(await closed).toBe(false);
  });

  it('hands a CONNECT connection over with the bytes that followed its head', async () => {
    const { port } = await start(() => undefined, {
      onConnect: (req, socket, head) => socket.end(`tunnel to ${req.url} starting with ${head.toString()}`),
    });
    expect(await exchange(port, 'CONNECT web:80 HTTP/1.1\r\nHost: web:80\r\n\r\nGET / HTTP/1.1\r\n')).toBe('tunnel to web:80 starting with GET / HTTP/1.1\r\n');
  });

  it('drains: idle connections close at once, a busy one after its response with connection: close', async () => {
    let answer: () => void = () => undefined;
    const { port, server } = await start((req, res) => {
      req.body.resume();
      answer = () => res.end('late');
    });
    const idle = net.connect({ port, host: '127.0.0.1' });
    const idleClosed = new Promise<void>((resolve) => idle.once('close', () => resolve()));
    await new Promise((resolve) => idle.once('connect', resolve));
    const busy = net.connect({ port, host: '127.0.0.1' }, () => busy.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n'));
    let text = '';
    busy.on('data', (c: Buffer) => (text += c.toString('latin1')));
    const busyClosed = new Promise<void>((resolve) => busy.once('close', () => resolve()));
    await new Promise((resolve) => setTimeout(resolve, 50));
    server.closeIdleConnections();
    await idleClosed;
    answer();
    await busyClosed;
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(text).toContain('connection: close\r\n');
    expect(text.endsWith('late')).toBe(true);
  });

  describe('with fake timers for its timeouts', () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    /** Lets pending socket callbacks run (setImmediate is not faked). */
    async function settle(): Promise<void> {
      for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
    }

    it('closes a connection idle for the keep-alive timeout, counted again after every response', async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      const { port } = await start(echo);
      const client = net.connect({ port, host: '127.0.0.1' });
      const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
      client.on('error', () => undefined);
      for (const path of ['/a', '/b']) {
        const answered = readUntil(client, (t) => t.includes(`x-url: ${path}`) && t.endsWith('\r\n\r\n'));
        client.write(`GET ${path} HTTP/1.1\r\nHost: a\r\n\r\n`);
        await answered;
        await settle();
        vi.advanceTimersByTime(KEEP_ALIVE_TIMEOUT_MS - 1);
        await settle();
        expect(client.destroyed).toBe(false);
      }
      vi.advanceTimersByTime(1);
      await closed;
    });

    it('answers 408 to a request head that stops arriving for the head timeout', async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      const { port } = await start(echo);
      const client = net.connect({ port, host: '127.0.0.1' });
      client.on('error', () => undefined);
      const answer = new Promise<string>((resolve) => {
        let text = '';
        client.on('data', (c: Buffer) => (text += c.toString('latin1')));
        client.once('close', () => resolve(text));
      });
      client.write('GET / HTTP/1.1\r\nHost:');
      await settle();
      vi.advanceTimersByTime(HEAD_TIMEOUT_MS);
      expect(await answer).toMatch(/^HTTP\/1\.1 408 /);
    });
  });
});
