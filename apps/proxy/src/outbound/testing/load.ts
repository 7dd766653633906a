import http from 'node:http';
import { get } from './harness';

/** Bounds of a background load: it stops at stop(), or after maxRequests, or after maxMs. */
export interface LoadOptions {
  port: number;
  host: string;
  workers: number;
  maxRequests: number;
  maxMs: number;
}

export interface Load {
  /** Statuses and errors seen so far, by kind ("200", "503", "error: ..."). */
  results: Map<string, number>;
  sent(): number;
  stop(): Promise<void>;
}

/** Continuous bounded load through the proxy from a few keep-alive workers. */
export function startLoad(opts: LoadOptions): Load {
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.workers });
  const results = new Map<string, number>();
  const deadline = performance.now() + opts.maxMs;
  let sent = 0;
  let stopped = false;
  const worker = async () => {
    while (!stopped && sent < opts.maxRequests && performance.now() < deadline) {
      sent += 1;
      let key: string;
      try {
        const r = await get(opts.port, opts.host, '/', { agent });
        key = String(r.status);
      } catch (err) {
        key = `error: ${(err as Error).message}`;
      }
      results.set(key, (results.get(key) ?? 0) + 1);
    }
  };
  const running = Promise.all(Array.from({ length: opts.workers }, worker));
  return {
    results,
    sent: () => sent,
    stop: async () => {
      stopped = true;
      await running;
      agent.destroy();
    },
  };
}
