import { request } from 'node:http';

/** Knative: a readiness probe attempt times out after 100 ms while a replica is starting. */
export const PROBE_TIMEOUT_MS = 100;
// Knative queue-proxy: K-Network-Probe: queue makes the proxy check its app and answer 200 "queue".
const PROBE_HEADER = 'K-Network-Probe';
const PROBE_VALUE = 'queue';

/** True when the proxy at host:port says its app is ready (the readiness probe of the deploy/ sidecar). */
export function probeQueue(host: string, port: number, timeoutMs = PROBE_TIMEOUT_MS): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host, port, path: '/', method: 'GET', headers: { [PROBE_HEADER]: PROBE_VALUE }, agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** True when an HTTP GET of the URL answers 2xx within the timeout. */
export function probeHttp(url: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(url, { agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}
