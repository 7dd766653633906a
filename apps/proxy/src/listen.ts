import cluster from 'node:cluster';
import type { Server as NetServer } from 'node:net';

/**
 * A port is this process's alone, except in a supervised worker (TRELLIS_PROXY_WORKERS): there the supervisor
 * holds the listening socket and node:cluster shares it between the workers of every generation.
 */
export const EXCLUSIVE_LISTEN = !cluster.isWorker;

/**
 * Ours: on a hand-off (hot restart), connections of both roles still open this long after the listeners stopped
 * are closed (idle ones; busy ones after their requests, within the role's own bound).
 */
export const HAND_OFF_GRACE_MS = 10_000;

/** Binds a server and resolves with the port it got (useful when asked for port 0). */
export function listen(server: NetServer, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen({ port, host, exclusive: EXCLUSIVE_LISTEN }, () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : port);
    });
  });
}

/**
 * Stops accepting connections and resolves once every connection has ended. With `force`, open
 * connections of an HTTP server are cut at once (for servers whose clients only scrape).
 */
export function stopListening(
  server: NetServer & { closeAllConnections?: () => void },
  options: { force?: boolean } = {},
): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
    if (options.force) server.closeAllConnections?.();
  });
}
