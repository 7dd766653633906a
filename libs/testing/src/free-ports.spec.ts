import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePorts } from './free-ports';

describe('freePorts', () => {
  it('gives each name a different port that a server can then listen on', async () => {
    const ports = await freePorts(['a', 'b', 'c']);
    expect(Object.keys(ports)).toEqual(['a', 'b', 'c']);
    expect(new Set(Object.values(ports)).size).toBe(3);
    for (const port of Object.values(ports)) {
      const server = createServer();
      await new Promise<void>((done, fail) => {
        server.once('error', fail);
        server.listen({ host: '127.0.0.1', port }, () => done());
      });
      await new Promise<void>((done) => server.close(() => done()));
    }
  });
});
