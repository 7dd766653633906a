import http from 'node:http';
import http2 from 'node:http2';
import { BenchError } from './errors';
import type { Target } from './load';

/** A first request may wait for discovery; beyond this the variant is reported as not working. */
const SMOKE_TIMEOUT_MS = 10_000;
/** The gRPC frame the HTTP/2 runs send (a 5-byte header and an empty message). */
export const GRPC_EMPTY_FRAME = Buffer.from([0, 0, 0, 0, 0]);

function headerMap(target: Target): Record<string, string> {
  const map: Record<string, string> = {};
  for (const line of target.headers) {
    const at = line.indexOf(':', 1);
    map[line.slice(0, at).trim().toLowerCase()] = line.slice(at + 1).trim();
  }
  return map;
}

/** One GET through the variant; it must answer 200 with the backend's body length. */
export function smokeH1(target: Target, expectedBytes: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.get(target.url, { headers: headerMap(target), timeout: SMOKE_TIMEOUT_MS, agent: false }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      res.on('end', () => {
        if (res.statusCode === 200 && bytes === expectedBytes) return resolve();
        const why = res.headers['l5d-proxy-error'] ? ` (l5d-proxy-error: ${String(res.headers['l5d-proxy-error'])})` : '';
        reject(new BenchError('BENCH_START', `HTTP/1.1 check got ${res.statusCode} with ${bytes} bytes${why}, expected 200 with ${expectedBytes}`));
      });
    });
    req.on('timeout', () => req.destroy(new BenchError('BENCH_START', `HTTP/1.1 check timed out after ${SMOKE_TIMEOUT_MS} ms`)));
    req.on('error', (err) => reject(err instanceof BenchError ? err : new BenchError('BENCH_START', `HTTP/1.1 check failed: ${err.message}`)));
  });
}

/** One gRPC-style POST over h2c; it must answer :status 200. */
export function smokeH2(target: Target): Promise<void> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(target.url);
    const timer = setTimeout(() => finish(new BenchError('BENCH_START', `HTTP/2 check timed out after ${SMOKE_TIMEOUT_MS} ms`)), SMOKE_TIMEOUT_MS);
    const finish = (err?: Error) => {
      clearTimeout(timer);
      session.destroy();
      if (err) reject(err);
      else resolve();
    };
    session.on('error', (err) => finish(new BenchError('BENCH_START', `HTTP/2 check failed: ${err.message}`)));
    const headers = { ':method': 'POST', ':path': '/', 'content-type': 'application/grpc', te: 'trailers', ...headerMap(target) };
    const stream = session.request(headers);
    let status = 0;
    stream.on('response', (h) => (status = Number(h[':status'])));
    stream.on('error', (err) => finish(new BenchError('BENCH_START', `HTTP/2 check failed: ${err.message}`)));
    stream.resume();
    stream.on('end', () => finish(status === 200 ? undefined : new BenchError('BENCH_START', `HTTP/2 check got :status ${status}, expected 200`)));
    stream.end(GRPC_EMPTY_FRAME);
  });
}
