import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import type { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { Http1Server } from '../http1/server';
import { http1ServerKind, type OutgoingResponse } from '../http1/server-kind';
import { redirectResponse } from './synthetic-response';

type Handler = (res: OutgoingResponse) => void;

/** A server of the kind this vitest project runs (TRELLIS_HTTP1_SERVER), answering with `handler`. */
function listen(handler: Handler): Promise<{ port: number; close: () => Promise<void> }> {
  const server =
    http1ServerKind() === 'node'
      ? http.createServer((_req, res) => handler(res))
      : (() => {
          const h1 = new Http1Server((_req, res) => handler(res));
          return net.createServer((socket) => h1.accept(socket));
        })();
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () => new Promise<void>((done) => server.close(() => done())),
      }),
    ),
  );
}

function get(port: number): Promise<{ status: number; location: string | undefined }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location }));
      })
      .on('error', reject);
  });
}

describe('a synthetic response (redirect, injected failure) handed to the client', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  it(`settles once it went out and tells its end listeners, on the ${http1ServerKind()} server`, async () => {
    const redirect = redirectResponse(302, 'http://example.test/');
    let ended = false;
    redirect.onEnd(() => (ended = true));
    let handedOver: Promise<void> | undefined;
    const server = await listen((res) => {
      res.writeHead(redirect.status, redirect.headers as http.OutgoingHttpHeaders);
      handedOver = redirect.pipeTo(res as unknown as Writable);
    });
    close = server.close;
    expect(await get(server.port)).toEqual({ status: 302, location: 'http://example.test/' });
    await expect(handedOver).resolves.toBeUndefined();
    expect(ended).toBe(true);
  });
});
