import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeDestination, type FakeDestination } from '@trellis/discovery/testing';
import { startOutbound, type Outbound } from './index';
import { get, startBackend, type TestBackend } from './testing/harness';

const WEB = 'web.shop.svc.cluster.local:8080';
const GONE = 'gone.shop.svc.cluster.local:8080';

describe('outbound access log (TRELLIS_ACCESS_LOG=1)', () => {
  const lines: string[] = [];
  let destination: FakeDestination;
  let backend: TestBackend;
  let outbound: Outbound;
  beforeAll(async () => {
    destination = await startFakeDestination();
    backend = await startBackend('web');
    destination.setEndpoints(WEB, [{ host: backend.host, port: backend.port }]);
    destination.setEndpoints(GONE, null);
    outbound = await startOutbound({
      env: { TRELLIS_OUTBOUND_ADDR: '127.0.0.1:0', TRELLIS_DESTINATION_ADDR: `127.0.0.1:${destination.port}`, TRELLIS_ACCESS_LOG: '1' },
      registry: new Registry(),
      logger: pino({ level: 'silent' }),
      writeAccessLog: (line) => lines.push(line),
    });
  });
  afterAll(async () => {
    await outbound.close();
    await backend.close();
    await destination.close();
  });

  it("writes one line per request with Envoy's default fields, the endpoint as upstream_host", async () => {
    const port = outbound.address?.port ?? 0;
    const r = await get(port, 'web.shop:8080', '/hello?x=1', { headers: { 'x-request-id': 'out-1', 'user-agent': 'test/2' } });
    expect(r.status).toBe(200);
    const entry = JSON.parse(lines.at(-1) ?? '{}') as Record<string, unknown>;
    expect(entry).toMatchObject({
      msg: 'access',
      direction: 'outbound',
      method: 'GET',
      path: '/hello?x=1',
      protocol: 'HTTP/1.1',
      response_code: 200,
      response_flags: '-',
      bytes_received: 0,
      bytes_sent: 3,
      request_id: 'out-1',
      user_agent: 'test/2',
      authority: 'web.shop:8080',
      upstream_host: `${backend.host}:${backend.port}`,
      x_forwarded_for: '-',
    });
    expect(typeof entry.upstream_service_time).toBe('number');
    expect(typeof entry.duration).toBe('number');
  });

  it("logs the proxy's own error answers with their status and flag", async () => {
    const port = outbound.address?.port ?? 0;
    const r = await get(port, 'gone.shop:8080', '/');
    const entry = JSON.parse(lines.at(-1) ?? '{}') as Record<string, unknown>;
    expect(r.status).toBeGreaterThanOrEqual(500);
    expect(entry).toMatchObject({ authority: 'gone.shop:8080', response_code: r.status, upstream_service_time: '-', bytes_sent: 0 });
    expect(entry.response_flags).not.toBe('-');
    expect(lines).toHaveLength(2);
  });
});
