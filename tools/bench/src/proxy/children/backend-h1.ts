import http from 'node:http';
import { exitWhenOrphaned } from './orphan-guard';

/** The static HTTP/1.1 backend: every request gets 200 with a 100-byte body (issue 8: "100-byte responses"). */
const BODY = Buffer.alloc(100, 'x');
const KEEP_ALIVE_TIMEOUT_MS = 300_000;

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error('usage: backend-h1 <port>');
  process.exit(2);
}
exitWhenOrphaned();
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': BODY.length });
    res.end(BODY);
  });
});
server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
server.listen(port, '127.0.0.1');
