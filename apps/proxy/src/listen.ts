import type { Server as NetServer } from 'node:net';

/** Binds a server and resolves with the port it got (useful when asked for port 0). */
export function listen(server: NetServer, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen({ port, host, exclusive: true }, () => {
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
