import { request } from 'node:http';
import { connect } from 'node:net';
import {
  AGGRESSIVE_PROBE_ATTEMPT_TIMEOUT_MS,
  AGGRESSIVE_PROBE_INTERVAL_MS,
  AGGRESSIVE_PROBE_WINDOW_MS,
  type ProbeCheck,
  type ReadinessProbeConfig,
} from '../config/readiness-probe';

/** User agent of our probes to the app, in the kubelet's form (Knative does the same). */
export const PROBE_USER_AGENT = 'kube-probe/trellis';

function tcpAttempt(check: { host: string; port: number }, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: check.host, port: check.port });
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(done, timeoutMs, false);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

function httpAttempt(check: Extract<ProbeCheck, { kind: 'http' }>, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = { 'user-agent': PROBE_USER_AGENT };
    for (const [name, value] of check.headers) headers[name.toLowerCase()] = value;
    const req = request({ host: check.host, port: check.port, path: check.path, headers, agent: false });
    const done = (ok: boolean) => {
      clearTimeout(timer);
      req.destroy();
      resolve(ok);
    };
    const timer = setTimeout(done, timeoutMs, false);
    req.once('response', (res) => {
      const status = res.statusCode ?? 0;
      res.resume();
      done(status >= 200 && status < 400);
    });
    req.once('error', () => done(false));
    req.end();
  });
}

async function attempt(checks: readonly ProbeCheck[], timeoutMs: number): Promise<boolean> {
  const results = await Promise.all(
    checks.map((check) => (check.kind === 'tcp' ? tcpAttempt(check, timeoutMs) : httpAttempt(check, timeoutMs))),
  );
  return results.every(Boolean);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface ProberTiming {
  readonly intervalMs: number;
  readonly attemptTimeoutMs: number;
  readonly windowMs: number;
}

export const KNATIVE_PROBER_TIMING: ProberTiming = {
  intervalMs: AGGRESSIVE_PROBE_INTERVAL_MS,
  attemptTimeoutMs: AGGRESSIVE_PROBE_ATTEMPT_TIMEOUT_MS,
  windowMs: AGGRESSIVE_PROBE_WINDOW_MS,
};

/**
 * Probes the app's readiness. Until the app has been seen ready (and always when the probe's period
 * is 0, Knative's default) a run is aggressive: attempts every `intervalMs` with `attemptTimeoutMs`
 * each until one passes or `windowMs` is over. After that a run is one attempt with the probe's own
 * timeout. Concurrent callers share the run in progress.
 */
export class ReadinessProber {
  private running: Promise<boolean> | undefined;
  private everReady = false;

  constructor(
    private readonly config: ReadinessProbeConfig,
    private readonly timing: ProberTiming = KNATIVE_PROBER_TIMING,
    private readonly now: () => number = () => performance.now(),
  ) {}

  probe(): Promise<boolean> {
    if (this.running) return this.running;
    const run = this.run().then((ready) => {
      if (ready) this.everReady = true;
      this.running = undefined;
      return ready;
    });
    this.running = run;
    return run;
  }

  private run(): Promise<boolean> {
    if (this.everReady && this.config.periodMs > 0) return attempt(this.config.checks, this.config.timeoutMs);
    return this.aggressive();
  }

  private async aggressive(): Promise<boolean> {
    const deadline = this.now() + this.timing.windowMs;
    for (;;) {
      if (await attempt(this.config.checks, this.timing.attemptTimeoutMs)) return true;
      if (this.now() + this.timing.intervalMs >= deadline) return false;
      await sleep(this.timing.intervalMs);
    }
  }
}
