import { createServer } from 'node:http';
import { listen, stopListening } from '../listen';
import type { Drain } from '../inbound/drain';

/**
 * Admin `:8022`: `/ready` runs the app's readiness probe (503 while draining), `/live` answers while
 * the process runs, and `/wait-for-drain` (Knative's preStop hook) starts draining and returns once
 * no request has arrived for the quiet period.
 */
export async function startAdminServer(options: {
  drain: Drain;
  probeApp: () => Promise<boolean>;
  host: string;
  port: number;
}): Promise<{ port: number; close(): Promise<void> }> {
  const { drain, probeApp } = options;
  const server = createServer((req, res) => {
    const path = req.url?.split('?')[0];
    const text = (status: number, body: string) => res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(body);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      text(405, 'method not allowed\n');
      return;
    }
    switch (path) {
      case '/live':
        text(200, 'alive\n');
        return;
      case '/ready':
        if (drain.draining) {
          text(503, 'draining\n');
          return;
        }
        probeApp().then(
          (ready) => (ready && !drain.draining ? text(200, 'ready\n') : text(503, 'not ready\n')),
          () => text(503, 'not ready\n'),
        );
        return;
      case '/wait-for-drain':
        drain.waitForDrain().then(() => text(200, 'drained\n'));
        return;
      default:
        text(404, 'not found\n');
    }
  });
  const port = await listen(server, options.port, options.host);
  let closing: Promise<void> | undefined;
  return { port, close: () => (closing ??= stopListening(server, { force: true })) };
}
