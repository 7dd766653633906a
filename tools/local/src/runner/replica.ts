import { join } from 'node:path';
import type { ExponentialBackoff } from '@trellis/balance';
import { FS_RESCAN_INTERVAL_MS } from '@trellis/kube';
import type { Child, ExitInfo } from '../process/child';
import { describeExit, spawnChild } from '../process/child';
import { probeQueue } from '../process/probe';
import { PROXY_HTTP_PORT } from './endpoint-slices';
import type { LocalWorkload } from './local-workload';
import { resolveEnv } from './local-workload';
import type { ReplicaPhase } from './reconcile';

/** Knative: the queue-proxy's readiness is probed every 50 ms until it first passes. */
export const STARTING_PROBE_INTERVAL_MS = 50;
/** Kubernetes probe periodSeconds of the deploy/ sidecar (1 s) and failureThreshold (3). */
export const READY_PROBE_INTERVAL_MS = 1_000;
export const READY_PROBE_FAILURE_THRESHOLD = 3;
/** Kubernetes resets CrashLoopBackOff after 10 min of running; local mode forgives a replica after 10 s ready. */
export const BACKOFF_RESET_AFTER_READY_MS = 10_000;
/**
 * The proxy's drain quiet period in local mode: after SIGTERM it serves on until no request has come for this
 * long, so it must outlast the time a slice change takes to reach every outbound proxy. Knative waits 30 s for a
 * cluster's load balancers. Here the destination's fs source sees a change through fs.watch within a few ms, or
 * at its next rescan (FS_RESCAN_INTERVAL_MS, 1 s) when fs.watch misses it, as Node 20's recursive watch on Linux
 * does once a file has been replaced by rename (how slices are written); 1 s more is the margin.
 */
export const LOCAL_DRAIN_QUIET_PERIOD_MS = FS_RESCAN_INTERVAL_MS + 1_000;
/** The proxy's outbound listener; each replica's proxy gets it on its own address. */
export const OUTBOUND_PORT = 4140;

// Manifest env that names cluster addresses; the runner supplies local ones instead.
const CLUSTER_ONLY_ENV = new Set(['TRELLIS_DESTINATION_ADDR', 'TRELLIS_AUTOSCALER_ADDR', 'TRELLIS_OUTBOUND_ADDR', 'TRELLIS_INBOUND_HOST', 'TRELLIS_APP_HOST']);

export interface ReplicaOptions {
  podName: string;
  ordinal: number;
  workload: LocalWorkload;
  address: string;
  proxyCommand: string[];
  /** Added to every replica proxy's env (destination and autoscaler addresses, drain period). */
  proxyEnv: Record<string, string>;
  cwd: string;
  logDir: string | undefined;
  terminationGraceMs: number;
  backoff: ExponentialBackoff;
  now: () => number;
  /** Called after every phase change. */
  onChange: () => void;
  report: (message: string) => void;
}

/**
 * One replica: the app and its proxy, on one loopback address. See reconcile.ts for the phases.
 * The replica probes its proxy (K-Network-Probe: queue on :8012) and restarts both processes with
 * backoff when either exits; the runner decides when it stops.
 */
export class Replica {
  phase: ReplicaPhase = 'starting';
  restarts = 0;
  private app: Child | undefined;
  private proxy: Child | undefined;
  private probeTimer: NodeJS.Timeout | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private readySince: number | undefined;
  private probeFailures = 0;
  private generation = 0;
  private terminating: Promise<void> | undefined;

  constructor(private readonly opts: ReplicaOptions) {}

  get podName(): string {
    return this.opts.podName;
  }
  get address(): string {
    return this.opts.address;
  }
  get workload(): LocalWorkload {
    return this.opts.workload;
  }
  get ordinal(): number {
    return this.opts.ordinal;
  }
  get pids(): number[] {
    return [this.app?.pid, this.proxy?.pid].filter((p): p is number => p !== undefined);
  }

  start(): void {
    this.generation += 1;
    const generation = this.generation;
    this.setPhase('starting');
    this.probeFailures = 0;
    this.readySince = undefined;
    const { workload, address, podName } = this.opts;
    const pod = { name: podName, namespace: workload.namespace, address };
    const log = (kind: string) => (this.opts.logDir ? { file: join(this.opts.logDir, `${podName}.${kind}.log`) } : ('ignore' as const));
    this.app = spawnChild({
      name: `${podName}/app`,
      command: workload.command,
      env: { ...resolveEnv(workload.appEnv, pod), HOST: address, PORT: String(workload.userPort), TRELLIS_REPLICA: podName },
      cwd: this.opts.cwd,
      output: log('app'),
    });
    this.proxy = spawnChild({
      name: `${podName}/proxy`,
      command: this.opts.proxyCommand,
      env: this.proxyEnv(pod),
      cwd: this.opts.cwd,
      output: log('proxy'),
    });
    for (const child of [this.app, this.proxy]) {
      void child.exited.then((info) => this.onExit(generation, child, info));
    }
    this.scheduleProbe(generation, 0);
  }

  /** Leaves rotation: no more probing or restarts; the runner then rewrites the slices and calls terminate(). */
  markStopping(): void {
    if (this.phase === 'stopping') return;
    this.clearTimers();
    this.setPhase('stopping');
  }

  /** Stops the proxy first (it drains), then the app; each gets the grace period before SIGKILL. Idempotent. */
  terminate(): Promise<void> {
    this.markStopping();
    return (this.terminating ??= (async () => {
      await this.proxy?.stop(this.opts.terminationGraceMs);
      await this.app?.stop(this.opts.terminationGraceMs);
    })());
  }

  private proxyEnv(pod: { name: string; namespace: string; address: string }): Record<string, string> {
    const { workload, address } = this.opts;
    const fromManifest = Object.fromEntries(Object.entries(resolveEnv(workload.proxyEnv, pod)).filter(([k]) => !CLUSTER_ONLY_ENV.has(k)));
    return {
      SERVING_CONFIGURATION: workload.name,
      SERVING_REVISION: workload.name,
      TRELLIS_DRAIN_QUIET_PERIOD_MS: String(LOCAL_DRAIN_QUIET_PERIOD_MS),
      ...fromManifest,
      SERVING_NAMESPACE: workload.namespace,
      SERVING_POD: pod.name,
      SERVING_POD_IP: address,
      USER_PORT: String(workload.userPort),
      TRELLIS_INBOUND_HOST: address,
      TRELLIS_APP_HOST: address,
      TRELLIS_OUTBOUND_ADDR: `${address}:${OUTBOUND_PORT}`,
      ...this.opts.proxyEnv,
    };
  }

  private setPhase(phase: ReplicaPhase): void {
    if (this.phase === phase) return;
    this.phase = phase;
    this.opts.onChange();
  }

  private clearTimers(): void {
    if (this.probeTimer) clearTimeout(this.probeTimer);
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.probeTimer = undefined;
    this.restartTimer = undefined;
  }

  private scheduleProbe(generation: number, delayMs: number): void {
    this.probeTimer = setTimeout(() => void this.probe(generation), delayMs);
  }

  private async probe(generation: number): Promise<void> {
    const ok = await probeQueue(this.opts.address, PROXY_HTTP_PORT);
    if (generation !== this.generation || (this.phase !== 'starting' && this.phase !== 'ready')) return;
    if (ok) {
      this.probeFailures = 0;
      if (this.phase === 'starting') {
        this.readySince = this.opts.now();
        this.setPhase('ready');
      }
    } else if (this.phase === 'ready') {
      this.probeFailures += 1;
      if (this.probeFailures >= READY_PROBE_FAILURE_THRESHOLD) {
        this.opts.report(`${this.podName} failed ${this.probeFailures} readiness probes; out of rotation until it passes again`);
        this.readySince = undefined;
        this.setPhase('starting');
      }
    }
    this.scheduleProbe(generation, this.phase === 'ready' ? READY_PROBE_INTERVAL_MS : STARTING_PROBE_INTERVAL_MS);
  }

  private onExit(generation: number, child: Child, info: ExitInfo): void {
    if (generation !== this.generation || this.phase === 'stopping' || this.phase === 'backoff') return;
    this.clearTimers();
    if (this.readySince !== undefined && this.opts.now() - this.readySince >= BACKOFF_RESET_AFTER_READY_MS) this.opts.backoff.reset();
    const delayMs = Math.round(this.opts.backoff.next());
    this.restarts += 1;
    const logs = this.opts.logDir ? ` (logs: ${this.opts.logDir})` : '';
    this.opts.report(`${child.name} ${describeExit(info)}; restarting ${this.podName} in ${delayMs} ms${logs}`);
    this.setPhase('backoff');
    // A proxy whose app is gone has nothing to drain for: it is stopped at once (no grace), so that callers get
    // connection refused, which they retry on another endpoint, rather than the 502s it would answer while draining.
    const stopSibling = child === this.app ? this.proxy?.stop(0) : this.app?.stop(this.opts.terminationGraceMs);
    void (stopSibling ?? Promise.resolve()).then(() => {
      if (this.phase !== 'backoff' || generation !== this.generation) return;
      this.restartTimer = setTimeout(() => {
        if (this.phase === 'backoff' && generation === this.generation) this.start();
      }, delayMs);
    });
  }
}
