import { createHash } from 'node:crypto';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, startBackend, startHarness, type Harness, type TestBackend } from './testing/harness';
import { MAX_DISCARD_BYTES, MAX_UNSENT_BYTES } from './upstream';

const WEB = 'web.demo.svc.cluster.local:8080';
const BIG_BYTES = 4 * 1024 * 1024;
const CHUNK_BYTES = 64 * 1024;
const SLOW_READS = 8;

function bigBody(): Buffer {
  const body = Buffer.alloc(BIG_BYTES);
  for (let i = 0; i < body.length; i++) body[i] = (i * 7 + (i >> 11)) & 0xff;
  return body;
}

function sha(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

/** A GET through the proxy that pauses for a while after each of its first reads, so the proxy must hold back. */
function slowGet(port: number, path: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, headers: { host: 'web.demo:8080' } }, (res) => {
      const chunks: Buffer[] = [];
      let reads = 0;
      res.on('data', (c: Buffer) => {
        chunks.push(c);
        reads += 1;
        if (reads > SLOW_READS) return;
        res.pause();
        void sleep(20).then(() => res.resume());
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Resolves with how the response ended: 'complete' with its length, or 'aborted'. */
function outcome(port: number, path: string): Promise<string> {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, path, headers: { host: 'web.demo:8080' } }, (res) => {
      let n = 0;
      res.on('data', (c: Buffer) => (n += c.length));
      res.on('end', () => resolve(res.complete ? `complete ${n}` : 'aborted'));
      res.on('aborted', () => resolve('aborted'));
      res.on('error', () => resolve('aborted'));
    });
    req.on('error', () => resolve('aborted'));
    req.end();
  });
}

describe('outbound HTTP/1.1 response streaming', () => {
  const body = bigBody();
  let h: Harness;
  let web: TestBackend;
  let flakyCalls = 0;

  beforeAll(async () => {
    web = await startBackend('web', (req, res) => {
      req.resume();
      if (req.url === '/big') {
        res.writeHead(200, { 'content-length': body.length });
        for (let off = 0; off < body.length; off += CHUNK_BYTES) res.write(body.subarray(off, off + CHUNK_BYTES));
        res.end();
      } else if (req.url === '/big-chunked') {
        res.writeHead(200);
        for (let off = 0; off < body.length; off += CHUNK_BYTES) res.write(body.subarray(off, off + CHUNK_BYTES));
        res.end();
      } else if (req.url === '/dies') {
        res.writeHead(200, { 'content-length': 1_000_000 });
        res.write(Buffer.alloc(10_000, 'a'));
        setTimeout(() => res.socket?.destroy(), 20);
      } else if (req.url === '/flaky-large') {
        flakyCalls += 1;
        if (flakyCalls === 1) {
          res.writeHead(500, { 'content-length': MAX_DISCARD_BYTES * 4 });
          res.end(Buffer.alloc(MAX_DISCARD_BYTES * 4, 'e'));
        } else res.end('recovered');
      } else {
        res.setHeader('content-length', '5');
        res.end(req.method === 'HEAD' ? undefined : 'hello');
      }
    });
    h = await startHarness();
    h.destination.setEndpoints(WEB, [{ host: web.host, port: web.port }]);
    h.destination.setProfile(WEB, {
      routes: [
        {
          condition: { match: { $case: 'path', value: { regex: '/flaky-large' } } },
          responseClasses: [],
          metricsLabels: { route: 'flaky' },
          isRetryable: true,
        },
      ],
    });
  });

  afterAll(async () => {
    await h?.close();
    await web?.close();
  });

  it.each(['/big', '/big-chunked'])('delivers %s byte for byte to a client that reads slowly', async (path) => {
    expect(BIG_BYTES).toBeGreaterThan(MAX_UNSENT_BYTES * 16);
    const r = await slowGet(h.port, path);
    expect(r.status).toBe(200);
    expect(r.body.length).toBe(BIG_BYTES);
    expect(sha(r.body)).toBe(sha(body));
  });

  it('cuts the client response when the upstream dies mid-body, and keeps serving', async () => {
    expect(await outcome(h.port, '/dies')).toBe('aborted');
    expect(await outcome(h.port, '/small')).toBe('complete 5');
  });

  it('answers HEAD with the upstream headers and no body', async () => {
    const r = await get(h.port, 'web.demo:8080', '/small', { method: 'HEAD' });
    expect(r.status).toBe(200);
    expect(r.headers['content-length']).toBe('5');
    expect(r.body).toBe('');
    expect((await get(h.port, 'web.demo:8080', '/small')).body).toBe('hello');
  });

  it('retries past a failed response whose body is too large to drain', async () => {
    const r = await get(h.port, 'web.demo:8080', '/flaky-large');
    expect(r.status).toBe(200);
    expect(r.body).toBe('recovered');
    expect(flakyCalls).toBe(2);
  });
});
