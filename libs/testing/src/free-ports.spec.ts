import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePorts, sharedPort } from './free-ports';

async function listenOn(host: string, port: number): Promise<void> {
  const server = createServer();
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen({ host, port }, () => done());
  });
  await new Promise<void>((done) => server.close(() => done()));
}

describe('sharedPort', () => {
  it('gives a port that a server can then listen on at each of the addresses', async () => {
    const hosts = ['127.0.0.2', '127.0.0.3', '127.0.0.4'];
    const port = await sharedPort(hosts);
    for (const host of hosts) await listenOn(host, port);
  });
});

describe('freePorts', () => {
  it('gives each name a different port that a server can then listen on', async () => {
    const ports = await freePorts(['a', 'b', 'c']);
    expect(Object.keys(ports)).toEqual(['a', 'b', 'c']);
    expect(new Set(Object.values(ports)).size).toBe(3);
    for (const port of Object.values(ports)) await listenOn('127.0.0.1', port);
  });
});
