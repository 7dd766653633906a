import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ReadinessProber } from './readiness-prober';

const FAST = { intervalMs: 20, attemptTimeoutMs: 100, windowMs: 2_000 };

describe('ReadinessProber', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  async function app(status: () => number): Promise<{ port: number; hits: string[] }> {
    const hits: string[] = [];
    server = createServer((req, res) => {
      hits.push(String(req.headers['user-agent']));
      res.writeHead(status()).end();
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    return { port: (server.address() as AddressInfo).port, hits };
  }

  it('concurrent callers share one probe run', async () => {
    const { port, hits } = await app(() => 200);
    const prober = new ReadinessProber(
      { checks: [{ kind: 'http', host: '127.0.0.1', port, path: '/', headers: [] }], periodMs: 0, timeoutMs: 1000 },
      FAST,
    );
    const runs = Array.from({ length: 5 }, () => prober.probe());
    expect(new Set(runs).size).toBe(1);
    expect(await Promise.all(runs)).toEqual([true, true, true, true, true]);
    expect(hits).toEqual(['kube-probe/trellis']);
  });

  it('keeps probing aggressively until the app turns ready', async () => {
    let calls = 0;
    const { port } = await app(() => (++calls < 4 ? 503 : 200));
    const prober = new ReadinessProber(
      { checks: [{ kind: 'http', host: '127.0.0.1', port, path: '/', headers: [] }], periodMs: 0, timeoutMs: 1000 },
      FAST,
    );
    expect(await prober.probe()).toBe(true);
    expect(calls).toBe(4);
  });

  it('after the app was ready, a configured period means one attempt per run', async () => {
    let status = 200;
    let calls = 0;
    const { port } = await app(() => {
      calls++;
      return status;
    });
    const prober = new ReadinessProber(
      { checks: [{ kind: 'http', host: '127.0.0.1', port, path: '/', headers: [] }], periodMs: 1000, timeoutMs: 1000 },
      FAST,
    );
    expect(await prober.probe()).toBe(true);
    status = 500;
    expect(await prober.probe()).toBe(false);
    expect(calls).toBe(2);
  });

  it('a TCP probe fails within the window when nothing listens', async () => {
    const { port } = await app(() => 200);
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    server = undefined;
    const prober = new ReadinessProber({ checks: [{ kind: 'tcp', host: '127.0.0.1', port }], periodMs: 0, timeoutMs: 1000 }, {
      ...FAST,
      windowMs: 200,
    });
    expect(await prober.probe()).toBe(false);
  });
});
