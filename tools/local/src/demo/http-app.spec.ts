import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { readDemoConfig } from './demo-config';
import { MAX_SLOW_MS, createDemoHttpServer } from './http-app';

describe('demo HTTP app', () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
    server = undefined;
  });

  const start = async (random: () => number) => {
    const s = createDemoHttpServer({ replica: 'web-3', version: 'v2', random });
    server = s;
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    const base = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
    return async (path: string, init?: RequestInit) => {
      const res = await fetch(`${base}${path}`, init);
      return { status: res.status, replica: res.headers.get('x-trellis-replica'), body: await res.text() };
    };
  };

  it('says which replica and version answered', async () => {
    const get = await start(() => 0.5);
    const res = await get('/hello');
    expect(res).toEqual({ status: 200, replica: 'web-3', body: '{"message":"hello","replica":"web-3","version":"v2"}\n' });
    const viaMesh = await get('/hello', { headers: { 'l5d-client-id': 'web.demo.serviceaccount.identity.cluster.local' } });
    expect(JSON.parse(viaMesh.body)).toMatchObject({ caller: 'web.demo.serviceaccount.identity.cluster.local' });
  });

  it('fails /fail with the given probability and validates its parameter', async () => {
    const get = await start(() => 0.25);
    expect((await get('/fail?rate=0.3')).status).toBe(500);
    expect((await get('/fail?rate=0.2')).status).toBe(200);
    expect(await get('/fail?rate=2')).toMatchObject({ status: 400, body: expect.stringContaining('between 0 and 1') });
    expect((await get('/fail')).status).toBe(400);
  });

  it('bounds /slow, echoes bodies and answers 404 for unknown paths', async () => {
    const get = await start(() => 0.5);
    expect(await get('/slow?ms=5')).toMatchObject({ status: 200, body: expect.stringContaining('"sleptMs":5') });
    expect(await get(`/slow?ms=${MAX_SLOW_MS + 1}`)).toMatchObject({ status: 400 });
    expect(await get('/slow?ms=abc')).toMatchObject({ status: 400 });
    expect(await get('/echo', { method: 'POST', body: 'ping', headers: { 'content-type': 'text/plain' } })).toEqual({ status: 200, replica: 'web-3', body: 'ping' });
    expect(await get('/nope')).toMatchObject({ status: 404, body: expect.stringContaining('/hello') });
    expect(await get('/call')).toMatchObject({ status: 404 });
  });

  it('answers /call with what the upstream said, or 502 with the client error', async () => {
    const answers = [
      () => Promise.resolve({ status: 200, body: '{"message":"hello"}' }),
      () => Promise.reject(Object.assign(new Error('no endpoint'), { code: 'FAIL_FAST' })),
    ];
    const s = createDemoHttpServer({ replica: 'web-3', version: 'v2', random: () => 0.5, callUpstream: () => answers.shift()!() });
    server = s;
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    const base = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
    const ok = await fetch(`${base}/call`);
    expect(await ok.json()).toEqual({ via: 'trellis-client', replica: 'web-3', version: 'v2', upstream: { status: 200, body: { message: 'hello' } } });
    const failed = await fetch(`${base}/call`);
    expect(failed.status).toBe(502);
    expect(await failed.json()).toMatchObject({ error: 'no endpoint', code: 'FAIL_FAST' });
  });
});

describe('readDemoConfig', () => {
  it('reads the environment with defaults', () => {
    expect(readDemoConfig({ HOST: '127.0.0.9', PORT: '9000', DEMO_PROTOCOL: 'grpc', TRELLIS_REPLICA: 'g-1', DEMO_VERSION: 'v3' })).toEqual({
      host: '127.0.0.9',
      port: 9000,
      protocol: 'grpc',
      replica: 'g-1',
      version: 'v3',
    });
    expect(readDemoConfig({})).toMatchObject({ host: '127.0.0.1', port: 8080, protocol: 'http', version: 'v1' });
  });

  it.each([
    [{ PORT: 'http' }, /PORT must be a port number/],
    [{ PORT: '70000' }, /PORT must be a port number/],
    [{ DEMO_PROTOCOL: 'udp' }, /DEMO_PROTOCOL must be http or grpc/],
    [{ DEMO_UPSTREAM: 'hello.demo' }, /DEMO_UPSTREAM must be an http:\/\/ URL/],
    [{ DEMO_UPSTREAM: 'http://hello.demo.svc.cluster.local/', DEMO_PROTOCOL: 'grpc' }, /DEMO_UPSTREAM needs DEMO_PROTOCOL=http/],
  ])('rejects %j', (env, message) => {
    expect(() => readDemoConfig(env)).toThrow(message);
  });
});
