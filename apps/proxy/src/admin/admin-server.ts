import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listen, stopListening } from '../listen';
import type { Drain } from '../inbound/drain';

/** A route added to the admin port beside the fixed ones (introspection, hot restart). */
export interface AdminRoute {
  /** Methods answered; any other gets 405. */
  readonly methods: readonly string[];
  handle(req: IncomingMessage, res: ServerResponse): void;
}

export type AdminRoutes = ReadonlyMap<string, AdminRoute>;

/**
 * Admin `:8022`: `/ready` runs the app's readiness probe (503 while draining), `/live` answers while
 * the process runs, and `/wait-for-drain` (Knative's preStop hook) starts draining and returns once
 * no request has arrived for the quiet period. `routes` adds more paths (their own methods).
 */
export async function startAdminServer(options: {
  drain: Pick<Drain, 'draining' | 'waitForDrain'>;
  probeApp: () => Promise<boolean>;
  host: string;
  port: number;
  routes?: AdminRoutes;
}): Promise<{ port: number; close(): Promise<void> }> {
  const { drain, probeApp } = options;
  const server = createServer((req, res) => {
    const path = req.url?.split('?')[0];
    const text = (status: number, body: string) => res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(body);
    const route = path === undefined ? undefined : options.routes?.get(path);
    if (route !== undefined) {
      if (route.methods.includes(req.method ?? '')) route.handle(req, res);
      else res.writeHead(405, { 'content-type': 'text/plain; charset=utf-8', allow: route.methods.join(', ') }).end('method not allowed\n');
      return;
    }
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
