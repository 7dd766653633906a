import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { send, startHarness } from './testing/harness';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const PARENT_SPAN = 'b7ad6b7169203331';

describe('tracing and request logs', () => {
  let zipkin: Server;
  let zipkinPort = 0;
  const spans: Array<{ traceId: string; parentId?: string; name: string; kind: string }> = [];
  beforeAll(async () => {
    zipkin = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        spans.push(...JSON.parse(body));
        res.writeHead(202).end();
      });
    });
    await new Promise<void>((resolve) => zipkin.listen(0, '127.0.0.1', resolve));
    zipkinPort = (zipkin.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => zipkin.close(() => resolve())));

  it('without a backend, trace headers reach the app untouched', async () => {
    const h = await startHarness();
    try {
      const traceparent = `00-${TRACE_ID}-${PARENT_SPAN}-01`;
      const echoed = JSON.parse((await send(h.inbound.ports.http, '/echo', { headers: { traceparent } })).body);
      expect(echoed.headers.traceparent).toBe(traceparent);
      expect(echoed.headers['x-b3-traceid']).toBeUndefined();
    } finally {
      await h.close();
    }
  });

  it('with zipkin, continues W3C and B3 traces, hands both formats to the app and exports the span', async () => {
    const h = await startHarness({
      TRACING_CONFIG_BACKEND: 'zipkin',
      TRACING_CONFIG_ZIPKIN_ENDPOINT: `http://127.0.0.1:${zipkinPort}/api/v2/spans`,
      TRACING_CONFIG_DEBUG: 'true',
    });
    try {
      const w3c = JSON.parse(
        (await send(h.inbound.ports.http, '/echo', { headers: { traceparent: `00-${TRACE_ID}-${PARENT_SPAN}-01` } })).body,
      );
      expect(w3c.headers.traceparent).toMatch(new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-01$`));
      expect(w3c.headers.traceparent).not.toContain(PARENT_SPAN);
      expect(w3c.headers['x-b3-traceid']).toBe(TRACE_ID);
      expect(w3c.headers['x-b3-parentspanid']).toBeUndefined();

      const b3Trace = '80f198ee56343ba864fe8b2a57d3eff7';
      const b3 = JSON.parse((await send(h.inbound.ports.http, '/echo', { headers: { b3: `${b3Trace}-e457b5a2e4d86bd1-1` } })).body);
      expect(b3.headers.traceparent).toMatch(new RegExp(`^00-${b3Trace}-`));
      expect(b3.headers.b3).toBeUndefined();
    } finally {
      await h.close();
    }
    const exported = spans.find((span) => span.traceId === TRACE_ID);
    expect(exported).toMatchObject({ name: 'queue_proxy', kind: 'SERVER', parentId: PARENT_SPAN });
  });

  it('writes one templated request log line per request, probes included', async () => {
    const lines: string[] = [];
    const h = await startHarness(
      {
        SERVING_ENABLE_REQUEST_LOG: 'true',
        SERVING_REQUEST_LOG_TEMPLATE: '{"method": "{{.Request.Method}}", "url": "{{js .Request.RequestURI}}", "status": {{.Response.Code}}, "size": {{.Response.Size}}, "revision": "{{.Revision.Name}}"}',
      },
      { writeLine: (line) => lines.push(line) },
    );
    try {
      await send(h.inbound.ports.http, '/status?code=201');
      await send(h.inbound.ports.http, '/', { headers: { 'k-network-probe': 'queue' } });
    } finally {
      await h.close();
    }
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      { method: 'GET', url: '/status?code=201', status: 201, size: 5, revision: 'hello-00001' },
      { method: 'GET', url: '/', status: 200, size: 0, revision: 'hello-00001' },
    ]);
  });
});
