import type { Dispatcher } from 'undici';
import { Agent, ProxyAgent, request } from 'undici';
import { LatencyHistogram } from './latency-histogram';
import type { LoadOptions } from './load-options';

// The scheduler wakes this often and sends whatever the rate says is due (open loop: a slow answer never
// delays the next request).
const TICK_MS = 5;
// A request that has no answer after this long counts as failed.
export const REQUEST_TIMEOUT_MS = 30_000;
// After the last second, in-flight requests get this long before the tool gives up on them.
export const FINISH_TIMEOUT_MS = 10_000;
const POST_BODY = JSON.stringify({ hello: 'trellis' });

export interface LoadWindow {
  /** 1-based second of the run; the summary has 0. */
  second: number;
  sent: number;
  completed: number;
  ok: number;
  /** Requests not sent because `concurrency` were already in flight. */
  shed: number;
  inFlight: number;
  p50Ms: number | undefined;
  p90Ms: number | undefined;
  p99Ms: number | undefined;
  /** "200", "503", or an error code such as "UND_ERR_CONNECT_TIMEOUT", with counts. */
  outcomes: Record<string, number>;
}

class Window {
  sent = 0;
  completed = 0;
  ok = 0;
  shed = 0;
  readonly latency = new LatencyHistogram();
  readonly outcomes: Record<string, number> = {};

  add(outcome: string, ok: boolean, ms: number): void {
    this.completed += 1;
    if (ok) this.ok += 1;
    this.outcomes[outcome] = (this.outcomes[outcome] ?? 0) + 1;
    this.latency.record(ms);
  }

  snapshot(second: number, inFlight: number): LoadWindow {
    return {
      second,
      sent: this.sent,
      completed: this.completed,
      ok: this.ok,
      shed: this.shed,
      inFlight,
      p50Ms: this.latency.percentile(0.5),
      p90Ms: this.latency.percentile(0.9),
      p99Ms: this.latency.percentile(0.99),
      outcomes: { ...this.outcomes },
    };
  }
}

function dispatcherFor(opts: LoadOptions): Dispatcher {
  const connections = opts.concurrency;
  // proxyTunnel false: plain-HTTP requests go to the proxy in absolute-form, as `curl -x` sends them.
  return opts.proxy ? new ProxyAgent({ uri: opts.proxy.href, proxyTunnel: false, connections }) : new Agent({ connections });
}

/**
 * Runs the load and resolves with the summary window (second 0). Stops early when `signal` aborts.
 * Success means an HTTP status below 500 (Linkerd classifies 5xx as failures).
 */
export async function runLoad(opts: LoadOptions, onSecond: (w: LoadWindow) => void, signal?: AbortSignal): Promise<LoadWindow> {
  const dispatcher = dispatcherFor(opts);
  const total = new Window();
  let current = new Window();
  let inFlight = 0;
  let issued = 0;
  const pending = new Set<Promise<void>>();
  const started = performance.now();

  const sendOne = async () => {
    inFlight += 1;
    const t0 = performance.now();
    let outcome: string;
    let ok = false;
    try {
      const res = await request(opts.url, {
        dispatcher,
        method: opts.method,
        ...(opts.method === 'POST' ? { body: POST_BODY, headers: { 'content-type': 'application/json' } } : {}),
        headersTimeout: REQUEST_TIMEOUT_MS,
        bodyTimeout: REQUEST_TIMEOUT_MS,
      });
      await res.body.dump();
      outcome = String(res.statusCode);
      ok = res.statusCode < 500;
    } catch (err) {
      outcome = (err as { code?: string }).code ?? (err as Error).name;
    }
    const ms = performance.now() - t0;
    inFlight -= 1;
    current.add(outcome, ok, ms);
    total.add(outcome, ok, ms);
  };

  const issue = (untilS?: number) => {
    const elapsedS = untilS ?? (performance.now() - started) / 1000;
    const due = Math.min(Math.floor(elapsedS * opts.rps), opts.rps * opts.durationS) - issued;
    for (let i = 0; i < due; i++) {
      issued += 1;
      if (inFlight >= opts.concurrency) {
        current.shed += 1;
        total.shed += 1;
        continue;
      }
      current.sent += 1;
      total.sent += 1;
      const p = sendOne();
      pending.add(p);
      void p.finally(() => pending.delete(p));
    }
  };

  await new Promise<void>((resolve) => {
    let second = 0;
    const ticker = setInterval(() => issue(), TICK_MS);
    const reporter = setInterval(() => {
      second += 1;
      // Whatever this second was due is sent before it is reported, even if a tick came late.
      issue(second);
      onSecond(current.snapshot(second, inFlight));
      current = new Window();
      if (second >= opts.durationS) finish();
    }, 1000);
    const finish = () => {
      clearInterval(ticker);
      clearInterval(reporter);
      signal?.removeEventListener('abort', finish);
      resolve();
    };
    signal?.addEventListener('abort', finish);
  });

  const deadline = new Promise<void>((r) => setTimeout(r, FINISH_TIMEOUT_MS).unref());
  await Promise.race([Promise.all(pending), deadline]);
  const summary = total.snapshot(0, inFlight);
  await dispatcher.destroy().catch(() => undefined);
  return summary;
}

function ms(value: number | undefined): string {
  if (value === undefined) return '     -';
  return value < 10 ? `${value.toFixed(2)}ms` : value < 1000 ? `${value.toFixed(1)}ms` : `${(value / 1000).toFixed(2)}s`;
}

/** One line of the per-second report (or the summary, for second 0 with the run's duration). */
export function formatWindow(w: LoadWindow, seconds = 1): string {
  const rate = (w.completed / seconds).toFixed(0);
  const success = w.completed === 0 ? '     -' : `${((100 * w.ok) / w.completed).toFixed(1)}%`;
  const outcomes = Object.entries(w.outcomes)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, n]) => `${k}×${n}`)
    .join(' ');
  const label = w.second === 0 ? 'total' : `${String(w.second).padStart(4)}s`;
  const shed = w.shed > 0 ? `  shed ${w.shed}` : '';
  return `${label}  rps ${rate.padStart(5)}  success ${success.padStart(6)}  p50 ${ms(w.p50Ms).padStart(8)}  p90 ${ms(w.p90Ms).padStart(8)}  p99 ${ms(w.p99Ms).padStart(8)}  in-flight ${String(w.inFlight).padStart(4)}${shed}  ${outcomes}`;
}
