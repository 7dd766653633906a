import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Stat } from '@trellis/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScrapeClient } from './scrape-client';

const stat = Stat.fromPartial({
  podName: 'pod-a',
  averageConcurrentRequests: 3.5,
  averageProxiedConcurrentRequests: 1,
  requestCount: 12,
  proxiedRequestCount: 2,
  processUptime: 90,
  timestamp: '1700000000',
});

const TEXT = `# HELP queue_average_concurrent_requests Average of requests currently in flight
# TYPE queue_average_concurrent_requests gauge
queue_average_concurrent_requests{destination_namespace="default",destination_revision="web"} 4.25
queue_average_proxied_concurrent_requests{destination_namespace="default"} 0.5
queue_requests_per_second 20
queue_proxied_operations_per_second 3
process_uptime 61
`;

describe('scrape client', () => {
  let server: Server;
  let base: string;
  const seenAccept: string[] = [];
  const client = createScrapeClient({ timeoutMs: 300 });

  beforeAll(async () => {
    server = createServer((req, res) => {
      seenAccept.push(String(req.headers.accept));
      if (req.url === '/proto/metrics') {
        res.setHeader('content-type', 'application/protobuf');
        res.end(Buffer.from(Stat.encode(stat).finish()));
      } else if (req.url === '/text/metrics') {
        res.setHeader('content-type', 'text/plain; version=0.0.4');
        res.end(TEXT);
      } else if (req.url === '/garbage/metrics') {
        res.setHeader('content-type', 'application/protobuf');
        res.end(Buffer.from([0xff, 0xff, 0xff]));
      } else if (req.url === '/nostats/metrics') {
        res.end('some_other_metric 1\n');
      } else if (req.url === '/huge/metrics') {
        res.setHeader('content-type', 'text/plain');
        res.end(`queue_average_concurrent_requests 1\n${'#'.repeat(300 * 1024)}\n`);
      } else if (req.url === '/slow/metrics') {
        setTimeout(() => res.end(TEXT), 2000).unref();
      } else {
        res.statusCode = 503;
        res.end('down');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await client.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('asks for protobuf and decodes a Stat', async () => {
    const got = await client.scrape(`${base}/proto/metrics`);
    expect(got).toMatchObject({ averageConcurrentRequests: 3.5, averageProxiedConcurrentRequests: 1, requestCount: 12, proxiedRequestCount: 2, processUptime: 90 });
    expect(seenAccept.at(-1)).toContain('application/protobuf');
  });

  it('reads the Prometheus text gauges', async () => {
    const got = await client.scrape(`${base}/text/metrics`);
    expect(got).toEqual({ averageConcurrentRequests: 4.25, averageProxiedConcurrentRequests: 0.5, requestCount: 20, proxiedRequestCount: 3, processUptime: 61 });
  });

  it.each([
    ['/down/metrics', 'SCRAPE_HTTP_STATUS'],
    ['/garbage/metrics', 'SCRAPE_BAD_BODY'],
    ['/nostats/metrics', 'SCRAPE_BAD_BODY'],
    ['/huge/metrics', 'SCRAPE_BAD_BODY'],
    ['/slow/metrics', 'SCRAPE_TIMEOUT'],
  ])('fails %s with %s', async (path, code) => {
    await expect(client.scrape(`${base}${path}`)).rejects.toMatchObject({ code });
  });

  it('fails a closed port with SCRAPE_CONNECT', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await expect(client.scrape(`http://127.0.0.1:${port}/metrics`)).rejects.toMatchObject({ code: 'SCRAPE_CONNECT' });
  });
});
