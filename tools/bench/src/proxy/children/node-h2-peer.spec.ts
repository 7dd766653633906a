import http2, { type Http2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, killAllSync, PROXY_CPU, startProcess, waitForPort } from '../processes';

const PEER = path.join(import.meta.dirname, 'node-h2-peer.ts');

/** A gRPC-style backend: echoes the request body with the :path in a header and a grpc-status trailer. */
function startBackend(): Promise<Http2Server> {
  const server = http2.createServer();
  server.on('stream', (stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'x-path': String(headers[':path']) }, { waitForTrailers: true });
      stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0', 'grpc-message': 'ok' }));
      stream.end(Buffer.concat(chunks));
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

interface Answer {
  headers: http2.IncomingHttpHeaders;
  body: string;
  trailers: http2.IncomingHttpHeaders;
}

function call(session: http2.ClientHttp2Session, path: string, body: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers' });
    let headers: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    let text = '';
    stream.on('response', (h) => (headers = h));
    stream.on('trailers', (t) => (trailers = t));
    stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
    stream.on('end', () => resolve({ headers, body: text, trailers }));
    stream.on('error', reject);
    stream.end(body);
  });
}

describe('node-h2-peer', () => {
  let backend: Http2Server | undefined;
  afterEach(() => {
    killAllSync();
    backend?.close();
  });

  it('forwards concurrent streams with their bodies, response headers and trailers over one upstream session', async () => {
    backend = await startBackend();
    const upstreamSessions: unknown[] = [];
    backend.on('session', (s) => upstreamSessions.push(s));
    const port = await freePort();
    const peer = startProcess('node-h2-peer', PROXY_CPU, process.execPath, ['--import', 'tsx', PEER, String(port), String((backend.address() as AddressInfo).port)]);
    await waitForPort(peer, port);
    const session = http2.connect(`http://127.0.0.1:${port}`);
    try {
      const answers = await Promise.all(['a', 'b', 'c'].map((name) => call(session, `/svc/${name}`, `body-${name}`)));
      expect(answers.map((a) => [a.headers[':status'], a.headers['x-path'], a.body, a.trailers['grpc-status'], a.trailers['grpc-message']])).toEqual([
        [200, '/svc/a', 'body-a', '0', 'ok'],
        [200, '/svc/b', 'body-b', '0', 'ok'],
        [200, '/svc/c', 'body-c', '0', 'ok'],
      ]);
      expect(upstreamSessions).toHaveLength(1);
    } finally {
      session.close();
    }
  });
});
