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

/** Ours: how many kernel-picked ports sharedPort tries before it gives up. */
export const SHARED_PORT_ATTEMPTS = 20;

/**
 * A port free on every given loopback address a moment ago, so that one EndpointSlice port serves
 * endpoints on all of them: the kernel picks one on the first address (port 0) and the others are
 * tried on it, up to SHARED_PORT_ATTEMPTS times.
 */
export async function sharedPort(hosts: readonly string[]): Promise<number> {
  for (let i = 0; i < SHARED_PORT_ATTEMPTS; i++) {
    const probe = await listenOnAnyPort(hosts[0] ?? '127.0.0.1');
    const port = (probe.address() as AddressInfo).port;
    await closeServer(probe);
    if (await freeOnAll(hosts.slice(1), port)) return port;
  }
  throw new Error(`no port free on all of ${hosts.join(', ')} after ${SHARED_PORT_ATTEMPTS} attempts`);
}

async function freeOnAll(hosts: readonly string[], port: number): Promise<boolean> {
  for (const host of hosts) {
    const server = createServer();
    const free = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen({ host, port, exclusive: true }, () => resolve(true));
    });
    if (!free) return false;
    await closeServer(server);
  }
  return true;
}

function closeServer(server: Server): Promise<void> {
  return new Promise((done) => server.close(() => done()));
}

function listenOnAnyPort(host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host, port: 0, exclusive: true }, () => resolve(server));
  });
}
