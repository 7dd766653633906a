import { WireStatMessages } from '@trellis/proto';
import pino from 'pino';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actuator } from './actuator';
import { startAdminServer, type AdminServer } from './admin-server';
import { Autoscaler } from './autoscaler';
import { AutoscalerMetrics } from './metrics';

describe('admin server', () => {
  const calls: number[] = [];
  const actuator: Actuator = { kind: 'fs', scale: async (_ns, _name, n) => void calls.push(n) };
  const metrics = new AutoscalerMetrics();
  const logger = pino({ level: 'silent' });
  const autoscaler = new Autoscaler({ scrape: async () => Promise.reject(new Error('no pods')), actuator, metrics, logger, isLeader: () => true });
  let ready = false;
  let admin: AdminServer;
  let base: string;

  beforeAll(async () => {
    autoscaler.sync([
      {
        key: 'shop/web',
        namespace: 'shop',
        name: 'web',
        annotations: { 'autoscaling.knative.dev/class': 'kpa.autoscaling.knative.dev' },
        containerConcurrency: 0,
        replicas: 0,
        createdMs: undefined,
        services: ['web'],
        pods: [],
      },
    ]);
    admin = await startAdminServer({ host: '127.0.0.1', port: 0, autoscaler, metrics, logger, ready: () => ready });
    base = `http://127.0.0.1:${admin.port}`;
  });
  afterAll(async () => {
    await admin.close();
    await admin.close();
    await autoscaler.close();
  });

  it('answers /live always and /ready once synced', async () => {
    expect((await request(`${base}/live`)).statusCode).toBe(200);
    const notReady = await request(`${base}/ready`);
    await notReady.body.dump();
    expect(notReady.statusCode).toBe(503);
    ready = true;
    expect((await request(`${base}/ready`)).statusCode).toBe(200);
  });

  it('scales a target at zero on a protobuf poke and shows it in /metrics', async () => {
    const body = Buffer.from(
      WireStatMessages.encode(
        WireStatMessages.fromPartial({ messages: [{ namespace: 'shop', name: 'web', stat: { podName: 'proxy-1', averageConcurrentRequests: 2, requestCount: 2 } }] }),
      ).finish(),
    );
    const res = await request(`${base}/poke`, { method: 'POST', body, headers: { 'content-type': 'application/protobuf' } });
    expect(res.statusCode).toBe(200);
    expect(await res.body.json()).toEqual({ results: [{ namespace: 'shop', name: 'web', status: 'decided', desiredReplicas: 1 }] });
    await autoscaler.settled();
    expect(calls).toEqual([1]);
    const text = await (await request(`${base}/metrics`)).body.text();
    expect(text).toMatch(/autoscaler_desired_pods\{namespace_name="shop",deployment_name="web"\} 1/);
    expect(text).toMatch(/autoscaler_pokes_total\{result="decided"\} 1/);
    expect(text).toContain('autoscaler_scrape_errors_total');
    expect(text).toContain('autoscaler_excess_burst_capacity');
  });

  it('accepts the JSON form and reports unknown targets', async () => {
    const body = JSON.stringify({ messages: [{ namespace: 'shop', name: 'nope', stat: { averageConcurrentRequests: 1 } }] });
    const res = await request(`${base}/poke`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    expect(await res.body.json()).toEqual({ results: [{ namespace: 'shop', name: 'nope', status: 'unknown-target' }] });
  });

  it.each([
    ['application/json', '{not json', 400],
    ['application/json', '{"messages":[]}', 400],
    ['application/json', '{"messages":[{"namespace":"shop","name":"web","stat":{"averageConcurrentRequests":-1}}]}', 400],
    ['text/plain', 'hello', 400],
    ['application/protobuf', Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]), 400],
    ['application/json', 'x'.repeat(70_000), 413],
  ])('rejects a %s poke with %i', async (type, body, status) => {
    const res = await request(`${base}/poke`, { method: 'POST', body, headers: { 'content-type': type } });
    expect(res.statusCode).toBe(status);
    const json = (await res.body.json()) as { error: string };
    expect(json.error).toMatch(/^POKE_/);
  });

  it('answers 405 to GET /poke and 404 elsewhere', async () => {
    expect((await request(`${base}/poke`)).statusCode).toBe(405);
    expect((await request(`${base}/nothing`)).statusCode).toBe(404);
  });
});
