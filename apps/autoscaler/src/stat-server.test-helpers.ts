import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Stat } from '@trellis/proto';

/** A pod's :9090 on 127.0.0.1 (ephemeral port) answering a settable Stat as protobuf. */
export interface FakeStatServer {
  port: number;
  url: string;
  scrapes: number;
  set(stat: Partial<Stat>): void;
  close(): Promise<void>;
}

export async function startStatServer(initial: Partial<Stat> = {}): Promise<FakeStatServer> {
  let stat = Stat.fromPartial({ processUptime: 600, ...initial });
  const fake = { scrapes: 0 } as FakeStatServer;
  const server: Server = createServer((_req, res) => {
    fake.scrapes++;
    res.setHeader('content-type', 'application/protobuf');
    res.end(Buffer.from(Stat.encode(stat).finish()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  let closed = false;
  return Object.assign(fake, {
    port,
    url: `http://127.0.0.1:${port}/metrics`,
    set(next: Partial<Stat>) {
      stat = Stat.fromPartial({ processUptime: 600, ...next });
    },
    async close() {
      if (closed) return;
      closed = true;
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  });
}
