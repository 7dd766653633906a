import http2, { type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import { exitWhenOrphaned, portsFromArgv } from './orphan-guard';

/**
 * The smallest HTTP/2 proxy Node allows: node:http2's server, each stream forwarded on one reused
 * node:http2 client session to the backend, bodies piped both ways, trailers passed on. What Node's
 * http2 costs by itself, without routing, metrics or header hygiene.
 */
const END_STREAM = http2.constants.NGHTTP2_FLAG_END_STREAM;
const { listen, target } = portsFromArgv('node-h2-peer');
exitWhenOrphaned();

let session = http2.connect(`http://127.0.0.1:${target}`);
session.on('error', () => undefined);

function upstream(): http2.ClientHttp2Session {
  if (session.closed || session.destroyed) {
    session = http2.connect(`http://127.0.0.1:${target}`);
    session.on('error', () => undefined);
  }
  return session;
}

function onStream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, flags: number): void {
  const up = upstream().request(headers, { endStream: (flags & END_STREAM) !== 0 });
  let trailers: http2.IncomingHttpHeaders = {};
  up.once('response', (h) => {
    // h2load cancels its open streams when its time is up: the client's stream may be gone by now.
    if (!stream.destroyed) stream.respond(h, { waitForTrailers: true });
  });
  up.once('trailers', (t) => (trailers = t));
  stream.once('wantTrailers', () => stream.sendTrailers(trailers));
  up.on('error', () => stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR));
  stream.on('error', () => up.close(http2.constants.NGHTTP2_CANCEL));
  up.pipe(stream);
  if ((flags & END_STREAM) === 0) stream.pipe(up);
}

http2.createServer().on('stream', onStream).listen(listen, '127.0.0.1');
