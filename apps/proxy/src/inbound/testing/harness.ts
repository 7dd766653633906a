import { request, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { connect as connectHttp2, constants } from 'node:http2';
import type { Registry } from 'prom-client';
import type { MeshTls } from '../../identity/mesh-tls';
import { loadInboundConfig } from '../../config/inbound-config';
import { createLogger } from '../../logger';
import { createMetricsRegistry, startMetricsServer, type MetricsServer } from '../../metrics-server';
import { type Inbound, startInbound } from '../index';
import type { ProberTiming } from '../readiness-prober';
import { startTestApp, type TestApp } from './test-app';

export interface Harness {
  readonly inbound: Inbound;
  readonly app: TestApp;
  readonly registry: Registry;
  readonly metrics: MetricsServer;
  close(): Promise<void>;
}

/** Starts the inbound role in this process against a fresh test app, every listener on 127.0.0.1:0. */
export async function startHarness(
  env: Record<string, string> = {},
  options: { probeTiming?: ProberTiming; writeLine?: (line: string) => void; meshTls?: MeshTls } = {},
): Promise<Harness> {
  const app = await startTestApp();
  const config = loadInboundConfig(
    {
      TRELLIS_INBOUND_HOST: '127.0.0.1',
      QUEUE_SERVING_PORT: '0',
      TRELLIS_INBOUND_H2C_PORT: '0',
      TRELLIS_ADMIN_PORT: '0',
      TRELLIS_STATS_PORT: '0',
      TRELLIS_METRICS_PORT: '0',
      USER_PORT: String(app.port),
      SERVING_NAMESPACE: 'default',
      SERVING_CONFIGURATION: 'hello',
      SERVING_REVISION: 'hello-00001',
      SERVING_POD: 'hello-00001-pod',
      ...env,
    },
    'test-host',
  );
  const registry = createMetricsRegistry();
  const logger = createLogger({ level: 'silent' });
  const inbound = await startInbound({ config, registry, logger, ...options });
  const metrics = await startMetricsServer({ registry, host: '127.0.0.1', port: 0, logger });
  return {
    inbound,
    app,
    registry,
    metrics,
    close: async () => {
      await Promise.all([inbound.close(), metrics.close()]);
      await app.close();
    },
  };
}

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One HTTP/1.1 request on its own connection. */
export function send(
  port: number,
  path: string,
  options: { method?: string; headers?: OutgoingHttpHeaders; body?: string; host?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: options.host ?? '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers, agent: false });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** A request left open so the test can abandon it. */
export function open(port: number, path: string): { abort(): void; reply: Promise<Reply> } {
  let abort = () => undefined as void;
  const reply = new Promise<Reply>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false });
    abort = () => req.destroy();
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
  reply.catch(() => undefined);
  return { abort: () => abort(), reply };
}

/** One h2c (prior knowledge) request, with an optional body; resolves with status, headers, trailers and body. */
export function sendHttp2(
  port: number,
  path: string,
  headers: Record<string, string> = {},
  requestBody?: string,
): Promise<Reply & { trailers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const session = connectHttp2(`http://127.0.0.1:${port}`);
    session.on('error', reject);
    const stream = session.request({ ':path': path, ...headers });
    let status = 0;
    let responseHeaders: IncomingHttpHeaders = {};
    let trailers: Record<string, unknown> = {};
    let body = '';
    stream.on('response', (h) => {
      status = Number(h[':status']);
      responseHeaders = h as IncomingHttpHeaders;
    });
    stream.on('trailers', (t) => (trailers = { ...t }));
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => (body += chunk));
    stream.on('end', () => {
      session.close();
      resolve({ status, headers: responseHeaders, body, trailers });
    });
    stream.on('error', (err) => {
      session.destroy();
      reject(err);
    });
    if (requestBody === undefined) stream.end();
    else stream.end(requestBody);
  });
}

/** An h2c request left open so the test can reset its stream. */
export function openHttp2(port: number, path: string): { reset(): void; closed: Promise<void> } {
  const session = connectHttp2(`http://127.0.0.1:${port}`);
  session.on('error', () => undefined);
  const stream = session.request({ ':path': path });
  stream.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => stream.once('close', () => {
    session.destroy();
    resolve();
  }));
  stream.end();
  return { reset: () => stream.close(constants.NGHTTP2_CANCEL), closed };
}

/** Polls until `check` holds, at most `timeoutMs`. */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
