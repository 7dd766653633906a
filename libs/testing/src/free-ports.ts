import { createServer, type AddressInfo, type Server } from 'node:net';

/**
 * One port per name, all different, each free on `host` a moment ago: for a test that must tell a process
 * which ports to listen on (npm start takes fixed ports). The kernel picks them (port 0). A fixed number
 * would be unsafe on 127.0.0.1: ports 32768-60999 are Linux's ephemeral range, and any connection the
 * machine opens meanwhile may hold one as its source port (EADDRINUSE at bind, seen in CI).
 */
export async function freePorts<K extends string>(names: readonly K[], host = '127.0.0.1'): Promise<Record<K, number>> {
  const servers = await Promise.all(names.map(() => listenOnAnyPort(host)));
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise<void>((done) => s.close(() => done()))));
  return Object.fromEntries(names.map((name, i) => [name, ports[i]])) as Record<K, number>;
}

function listenOnAnyPort(host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host, port: 0, exclusive: true }, () => resolve(server));
  });
}
