import { request } from 'node:http';

/** Knative queue-proxy's probeQueueHealthPath: retries every 25 ms until ready or the period ends. */
export const PROBE_RETRY_INTERVAL_MS = 25;

export interface ReadyProbeTarget {
  readonly host: string;
  readonly port: number;
}

export type ProbeOutcome = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** One GET of the admin /ready, bounded by `timeoutMs`: ready on 200, else the reason. */
function probeOnce(target: ReadyProbeTarget, timeoutMs: number): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const req = request({ host: target.host, port: target.port, path: '/ready', method: 'GET', timeout: timeoutMs, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve(res.statusCode === 200 ? { ok: true } : { ok: false, reason: `/ready answered ${res.statusCode}: ${body.trim()}` }));
      res.on('error', (err) => resolve({ ok: false, reason: err.message }));
    });
    let timedOut = false;
    req.on('timeout', () => {
      timedOut = true;
      req.destroy();
    });
    req.on('error', (err) =>
      resolve({ ok: false, reason: timedOut ? `/ready did not answer within ${timeoutMs} ms` : `cannot reach ${target.host}:${target.port}: ${err.message}` }),
    );
    req.end();
  });
}

/**
 * The exec readiness probe (Knative's `queue-proxy -probe-period`): polls the local admin `/ready` until it
 * answers 200 or `periodMs` has passed, and reports the last failure.
 */
export async function probeReady(target: ReadyProbeTarget, periodMs: number, now: () => number = () => performance.now()): Promise<ProbeOutcome> {
  const deadline = now() + periodMs;
  let last: ProbeOutcome = { ok: false, reason: 'no probe ran' };
  for (;;) {
    const remaining = deadline - now();
    if (remaining <= 0) return last;
    last = await probeOnce(target, Math.max(1, Math.ceil(remaining)));
    if (last.ok) return last;
    const wait = Math.min(PROBE_RETRY_INTERVAL_MS, deadline - now());
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
}
