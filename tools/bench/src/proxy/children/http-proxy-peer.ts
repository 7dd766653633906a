import http from 'node:http';
import httpProxy from 'http-proxy';
import { exitWhenOrphaned, portsFromArgv } from './orphan-guard';

/** `http-proxy` in front of the backend, with a keep-alive agent (its default agent would open a connection per request). */
const MAX_SOCKETS = 128;

const { listen, target } = portsFromArgv('http-proxy-peer');
exitWhenOrphaned();
const agent = new http.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS });
const proxy = httpProxy.createProxyServer({ target: `http://127.0.0.1:${target}`, agent });
proxy.on('error', (_err, _req, res) => {
  if (res instanceof http.ServerResponse && !res.headersSent) res.writeHead(502).end();
  else res.destroy();
});
http.createServer((req, res) => proxy.web(req, res)).listen(listen, '127.0.0.1');
