import http, { type IncomingMessage } from 'node:http';
import net, { type AddressInfo, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_REQUEST_HEAD_BYTES } from './request-parser';
import { parseRequests } from './testing/parse-requests';
import { REQUEST_CORPUS, type CorpusCase } from './testing/request-corpus';

/** What Node's HTTP/1.1 server made of one connection's bytes. */
interface NodeOutcome {
  requests: Array<{ method: string; target: string; body: string }>;
  refused: boolean;
}

const seen = new Map<string, NodeOutcome>();

function outcomeOf(socket: Socket): NodeOutcome {
  const key = `${socket.remotePort}`;
  let outcome = seen.get(key);
  if (outcome === undefined) {
    outcome = { requests: [], refused: false };
    seen.set(key, outcome);
  }
  return outcome;
}

function record(req: IncomingMessage): NodeOutcome['requests'][number] {
  const entry = { method: req.method ?? '', target: req.url ?? '', body: '' };
  outcomeOf(req.socket).requests.push(entry);
  return entry;
}

let server: http.Server;
let port = 0;

beforeAll(async () => {
  // Node's own defaults, the ones the fallback server runs with (maxHeaderSize as MAX_REQUEST_HEAD_BYTES).
  server = http.createServer({ maxHeaderSize: MAX_REQUEST_HEAD_BYTES }, (req, res) => {
    const entry = record(req);
    req.setEncoding('latin1');
    req.on('data', (chunk: string) => (entry.body += chunk));
    req.on('error', () => (outcomeOf(req.socket).refused = true));
    req.on('end', () => res.end('ok'));
  });
  server.on('clientError', (_err, socket: Socket) => {
    outcomeOf(socket).refused = true;
    socket.destroy();
  });
  server.on('connect', (req: IncomingMessage, socket: Socket) => {
    record(req);
    socket.destroy();
  });
  server.on('upgrade', (req: IncomingMessage, socket: Socket) => {
    record(req);
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** Writes the raw bytes on a new connection, ends it, and waits until Node's server is done with it. */
function throughNode(raw: string): Promise<NodeOutcome> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.on('error', () => undefined);
    let answer = '';
    socket.setEncoding('latin1');
    socket.on('data', (text: string) => (answer += text));
    socket.once('connect', () => {
      const key = `${socket.localPort}`;
      socket.end(Buffer.from(raw, 'latin1'));
      socket.once('close', () => {
        // The server side may see the end a moment after the client's close.
        setImmediate(() => {
          const outcome = seen.get(key) ?? { requests: [], refused: false };
          // Node answers some refusals itself (400 for a missing Host) without a clientError.
          if (/^HTTP\/1\.1 [45]\d\d /m.test(answer)) outcome.refused = true;
          resolve(outcome);
        });
      });
    });
    socket.setTimeout(10_000, () => reject(new Error('no answer from the Node server')));
  });
}

function ours(c: CorpusCase): NodeOutcome {
  const outcome = parseRequests([Buffer.from(c.raw, 'latin1')]);
  return {
    requests: outcome.requests.map((r) => ({ method: r.head.method, target: r.head.target, body: r.body })),
    refused: outcome.refused !== undefined,
  };
}

/**
 * The same requests in the same order. Node reports a request whose head parsed before it checks the
 * framing fields (it emits the request, then fails it), so on a refusal it may have one more.
 */
function sameRequests(node: NodeOutcome, mine: NodeOutcome): boolean {
  const heads = (o: NodeOutcome, n: number) => JSON.stringify(o.requests.slice(0, n).map((r) => [r.method, r.target]));
  const extra = node.requests.length - mine.requests.length;
  return heads(node, mine.requests.length) === heads(mine, mine.requests.length) && (extra === 0 || (extra === 1 && mine.refused));
}

describe("the request corpus against Node's HTTP/1.1 parser", () => {
  it.each(REQUEST_CORPUS.filter((c) => c.differs === undefined).map((c) => [c.name, c] as const))('agrees: %s', async (_name, c) => {
    const node = await throughNode(c.raw);
    const mine = ours(c);
    expect(node.refused).toBe(mine.refused);
    expect(sameRequests(node, mine)).toBe(true);
    if (!mine.refused) expect(node.requests.map((r) => r.body)).toEqual(mine.requests.map((r) => r.body));
  });

  it.each(REQUEST_CORPUS.filter((c) => c.differs !== undefined).map((c) => [c.name, c] as const))('differs, as documented: %s', async (_name, c) => {
    const node = await throughNode(c.raw);
    const mine = ours(c);
    const same = node.refused === mine.refused && sameRequests(node, mine);
    expect(same, `${c.name}: Node now reads these bytes as we do; drop the 'differs' note`).toBe(false);
  });
});
