import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createDemoHttpServer } from '../demo/http-app';
import type { LoadWindow } from './run-load';
import { formatWindow, runLoad } from './run-load';

const listen = async (server: Server): Promise<number> => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return (server.address() as AddressInfo).port;
};

describe('runLoad', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
  });

  const demo = async (random = () => 0.5) => {
    const server = createDemoHttpServer({ replica: 'r1', version: 'v1', random });
    servers.push(server);
    return listen(server);
  };

  it('sends rps × duration requests and reports every second', async () => {
    const port = await demo();
    const windows: LoadWindow[] = [];
    const summary = await runLoad(
      { url: new URL(`http://127.0.0.1:${port}/hello`), rps: 40, durationS: 2, concurrency: 10, proxy: undefined, method: 'GET' },
      (w) => windows.push(w),
    );
    expect(windows.map((w) => w.second)).toEqual([1, 2]);
    expect(summary.sent + summary.shed).toBe(80);
    expect(summary.completed).toBe(summary.sent);
    expect(summary.ok).toBe(summary.completed);
    expect(summary.outcomes).toEqual({ '200': summary.completed });
    expect(summary.p99Ms).toBeGreaterThan(0);
    expect(formatWindow(summary, 2)).toMatch(/^total {2}rps +\d+ {2}success 100\.0%/);
  });

  it('counts 5xx and connection errors as failures', async () => {
    const port = await demo(() => 0);
    const failing = await runLoad(
      { url: new URL(`http://127.0.0.1:${port}/fail?rate=1`), rps: 20, durationS: 1, concurrency: 10, proxy: undefined, method: 'GET' },
      () => undefined,
    );
    expect(failing.ok).toBe(0);
    expect(failing.outcomes['500']).toBe(failing.completed);

    const closed = await runLoad(
      { url: new URL('http://127.0.0.1:1/'), rps: 10, durationS: 1, concurrency: 5, proxy: undefined, method: 'GET' },
      () => undefined,
    );
    expect(closed.ok).toBe(0);
    expect(closed.outcomes['ECONNREFUSED']).toBe(closed.completed);
  });

  it('sends absolute-form requests through --proxy', async () => {
    const seen: string[] = [];
    const proxy = createServer((req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers.host}`);
      res.end('ok');
    });
    servers.push(proxy);
    const port = await listen(proxy);
    const summary = await runLoad(
      {
        url: new URL('http://hello.demo.svc.cluster.local/hello'),
        rps: 5,
        durationS: 1,
        concurrency: 5,
        proxy: new URL(`http://127.0.0.1:${port}`),
        method: 'POST',
      },
      () => undefined,
    );
    expect(summary.ok).toBe(5);
    expect(new Set(seen)).toEqual(new Set(['POST http://hello.demo.svc.cluster.local/hello hello.demo.svc.cluster.local']));
  });

  it('stops early when aborted', async () => {
    const port = await demo();
    const abort = new AbortController();
    const windows: LoadWindow[] = [];
    await runLoad(
      { url: new URL(`http://127.0.0.1:${port}/hello`), rps: 10, durationS: 60, concurrency: 5, proxy: undefined, method: 'GET' },
      (w) => {
        windows.push(w);
        abort.abort();
      },
      abort.signal,
    );
    expect(windows).toHaveLength(1);
  });
});
