import http from 'node:http';
import { Pool } from 'undici';
import { exitWhenOrphaned, portsFromArgv } from './orphan-guard';

/** A minimal reverse proxy: node:http in front, an undici Pool behind, hop-by-hop headers dropped both ways. */
const POOL_CONNECTIONS = 128;
// RFC 9110 section 7.6.1 hop-by-hop fields, plus host (undici sets its own).
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host']);

function endToEnd(headers: http.IncomingHttpHeaders | Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  }
  return out;
}

const { listen, target } = portsFromArgv('undici-peer');
exitWhenOrphaned();
const pool = new Pool(`http://127.0.0.1:${target}`, { connections: POOL_CONNECTIONS });
http
  .createServer((req, res) => {
    const hasBody = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
    pool.stream(
      { path: req.url ?? '/', method: (req.method ?? 'GET') as 'GET', headers: endToEnd(req.headers), body: hasBody ? req : null },
      ({ statusCode, headers }) => {
        res.writeHead(statusCode, endToEnd(headers));
        return res;
      },
      (err) => {
        if (!err) return;
        if (!res.headersSent) res.writeHead(502).end();
        else res.destroy();
      },
    );
  })
  .listen(listen, '127.0.0.1');
