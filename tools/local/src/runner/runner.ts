import { mkdir, readdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ExponentialBackoff } from '@trellis/balance';
import type { FsSource, FsStore } from '@trellis/kube';
import { createFsSource, createFsStore } from '@trellis/kube';
import type { Subscription } from 'rxjs';
import { filter, firstValueFrom, merge } from 'rxjs';
import { AddressPool, DEFAULT_ADDRESS_RANGE, parseAddressRange } from './address-pool';
import { planSlices, selects } from './endpoint-slices';
import type { LocalWorkload } from './local-workload';
import { readLocalWorkload } from './local-workload';
import type { ReplicaView } from './reconcile';
import { planActions } from './reconcile';
import { Replica } from './replica';

// The folder (inside the manifest folder) where the runner writes its EndpointSlices; it owns every file
// there and empties it at start (leftovers of a runner that was killed) and on exit.
export const SLICE_FOLDER = 'local-endpoints';
// Kubernetes' default terminationGracePeriodSeconds is 30 s; locally 10 s bounds Ctrl-C.
export const DEFAULT_TERMINATION_GRACE_MS = 10_000;
// Restart backoff of a crashed replica: Kubernetes' CrashLoopBackOff runs 10 s → 5 min; local edits want a
// quicker loop, so 500 ms → 30 s, doubling, with 10 % jitter.
export const RESTART_BACKOFF_MIN_MS = 500;
export const RESTART_BACKOFF_MAX_MS = 30_000;
const RESTART_BACKOFF_MULTIPLIER = 2;
const RESTART_BACKOFF_JITTER = 0.1;
/**
 * V8 settings for every proxy process: a small young generation and slow heap growth keep its peak RSS near 80 MB
 * under load at no measured throughput cost (docs/benchmarks/proxy-rss.md). Node's own arguments: NODE_OPTIONS
 * refuses --heap-growing-percent.
 */
export const PROXY_NODE_FLAGS = ['--max-semi-space-size=2', '--heap-growing-percent=10'];
/** The proxy command when none is given: the built proxy next to this tool. */
export const DEFAULT_PROXY_COMMAND = ['node', ...PROXY_NODE_FLAGS, 'dist/apps/proxy/main.js'];

export interface RunnerOptions {
  /** The manifest folder (the fs source). */
  dir: string;
  proxyCommand?: string[];
  /** Added to every replica proxy's env, e.g. TRELLIS_DESTINATION_ADDR; a function gives each workload its own. */
  proxyEnv?: Record<string, string> | ((workload: LocalWorkload) => Record<string, string>);
  /** Loopback addresses for replicas, "first-last". */
  addressRange?: string;
  /** Working directory of apps and proxies (commands are relative to it). Default: process.cwd(). */
  cwd?: string;
  /** Folder for one log file per process; without it child output is dropped. */
  logDir?: string;
  terminationGraceMs?: number;
  report?: (message: string) => void;
  random?: () => number;
  now?: () => number;
}

export interface WorkloadStatus {
  workload: string;
  desired: number;
  ready: number;
  running: number;
  restarts: number;
}

export interface ServiceStatus {
  /** namespace/name */
  service: string;
  workloads: string[];
  desired: number;
  ready: number;
}

export interface ReplicaInfo {
  podName: string;
  workload: string;
  address: string;
  phase: Replica['phase'];
  pids: number[];
}

/**
 * The local runner: keeps spec.replicas replicas (app + proxy on a loopback address) of every Deployment
 * that opts into local mode, and writes their EndpointSlices into the folder. One reconcile pass runs at a
 * time; any change (manifests, a replica's phase) asks for another.
 */
export class LocalRunner {
  private readonly dir: string;
  private readonly pool: AddressPool;
  private readonly store: FsStore;
  private readonly report: (message: string) => void;
  private readonly replicas = new Map<string, Replica>();
  private readonly ordinals = new Map<string, number>();
  private readonly workloads = new Map<string, LocalWorkload>();
  private readonly reported = new Set<string>();
  private readonly written = new Map<string, string>();
  private source: FsSource | undefined;
  private subscription: Subscription | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private closing: Promise<void> | undefined;

  constructor(private readonly opts: RunnerOptions) {
    this.dir = resolve(opts.dir);
    this.pool = new AddressPool(parseAddressRange(opts.addressRange ?? DEFAULT_ADDRESS_RANGE));
    this.store = createFsStore(this.dir);
    this.report = opts.report ?? (() => undefined);
  }

  /** Clears leftover slices, loads the folder and starts the replicas; resolves after the first pass. */
  async start(): Promise<void> {
    const sliceDir = join(this.dir, SLICE_FOLDER);
    await mkdir(sliceDir, { recursive: true });
    for (const file of await readdir(sliceDir)) await rm(join(sliceDir, file), { force: true, recursive: true });
    const source = createFsSource(this.dir);
    this.source = source;
    // Subscribed before the first scan: problems found at start-up are reported too (errors$ does not replay).
    const problems = source.errors$.subscribe((e) => this.report(`manifest problem: ${e.file ?? ''} ${e.reason}`));
    await firstValueFrom(source.synced$.pipe(filter(Boolean)));
    this.subscription = merge(source.deployments.events$, source.services.events$).subscribe(() => this.kick());
    this.subscription.add(problems);
    this.kick();
    await this.running;
  }

  status(): WorkloadStatus[] {
    return [...this.workloads.values()].map((w) => {
      const mine = [...this.replicas.values()].filter((r) => r.workload.key === w.key && r.phase !== 'stopping');
      return {
        workload: w.key,
        desired: w.replicas,
        ready: mine.filter((r) => r.phase === 'ready').length,
        running: mine.length,
        restarts: mine.reduce((n, r) => n + r.restarts, 0),
      };
    });
  }

  /** Every Service that selects local Deployments, with their replica counts summed. */
  serviceStatus(): ServiceStatus[] {
    const workloads = this.status();
    const out: ServiceStatus[] = [];
    for (const service of this.source?.services.list() ?? []) {
      const selected = [...this.workloads.values()].filter((w) => selects(service, w)).map((w) => w.key);
      if (selected.length === 0) continue;
      const mine = workloads.filter((w) => selected.includes(w.workload));
      out.push({
        service: `${service.metadata.namespace ?? 'default'}/${service.metadata.name}`,
        workloads: selected,
        desired: mine.reduce((n, w) => n + w.desired, 0),
        ready: mine.reduce((n, w) => n + w.ready, 0),
      });
    }
    return out.sort((a, b) => a.service.localeCompare(b.service));
  }

  /** Every Service in the folder, as namespace/name (whether or not it selects local Deployments). */
  serviceNames(): string[] {
    return (this.source?.services.list() ?? []).map((s) => `${s.metadata.namespace ?? 'default'}/${s.metadata.name}`).sort();
  }

  replicaInfo(): ReplicaInfo[] {
    return [...this.replicas.values()].map((r) => ({ podName: r.podName, workload: r.workload.key, address: r.address, phase: r.phase, pids: r.pids }));
  }

  /** Stops every replica (out of the slices first), removes the slice files and closes the source. Idempotent. */
  close(): Promise<void> {
    return (this.closing ??= (async () => {
      this.subscription?.unsubscribe();
      await this.running;
      const all = [...this.replicas.values()];
      for (const r of all) r.markStopping();
      if (all.length > 0) await this.writeSlices();
      await Promise.all(all.map((r) => r.terminate()));
      this.replicas.clear();
      for (const file of this.written.keys()) await this.store.removeFile(file).catch(() => undefined);
      this.written.clear();
      await this.source?.close();
    })());
  }

  private kick(): void {
    if (this.closing) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.reconcileOnce();
        } while (this.again && !this.closing);
      } catch (err) {
        this.report(`reconcile failed: ${(err as Error).message}`);
      } finally {
        this.running = undefined;
      }
    })();
  }

  private reportOnce(message: string): void {
    if (this.reported.has(message)) return;
    this.reported.add(message);
    this.report(message);
  }

  private readWorkloads(): void {
    const seen = new Set<string>();
    for (const deployment of this.source?.deployments.list() ?? []) {
      const result = readLocalWorkload(deployment);
      if (result.kind === 'skip') continue;
      const key = result.kind === 'ok' ? result.workload.key : result.key;
      seen.add(key);
      if (result.kind === 'ok') this.workloads.set(key, result.workload);
      else this.reportOnce(`Deployment ${key}: ${result.reason}${this.workloads.has(key) ? ' (keeping its last valid spec)' : ''}`);
    }
    for (const key of [...this.workloads.keys()]) if (!seen.has(key)) this.workloads.delete(key);
  }

  private async reconcileOnce(): Promise<void> {
    this.readWorkloads();
    const desired = [...this.workloads.values()].map((w) => ({ key: w.key, signature: w.signature, replicas: w.replicas }));
    const views: ReplicaView[] = [...this.replicas.entries()].map(([id, r]) => ({
      id,
      workload: r.workload.key,
      signature: r.workload.signature,
      phase: r.phase,
      ordinal: r.ordinal,
    }));
    const retiring: Replica[] = [];
    for (const action of planActions(desired, views)) {
      if (action.type === 'start') {
        const workload = this.workloads.get(action.workload);
        for (let i = 0; workload && i < action.count; i++) if (!this.startReplica(workload)) break;
      } else {
        const replica = this.replicas.get(action.id);
        if (!replica) continue;
        this.report(`stopping ${replica.podName} (${replica.address}): ${action.reason}`);
        replica.markStopping();
        retiring.push(replica);
      }
    }
    await this.writeSlices();
    for (const replica of retiring) void this.retire(replica);
  }

  private startReplica(workload: LocalWorkload): boolean {
    const address = this.pool.allocate();
    if (address === undefined) {
      this.reportOnce(`no free loopback address for ${workload.key} (all ${this.pool.size} in use); widen --addresses`);
      return false;
    }
    const ordinal = (this.ordinals.get(workload.key) ?? -1) + 1;
    this.ordinals.set(workload.key, ordinal);
    const podName = `${workload.name}-${ordinal}`;
    const replica = new Replica({
      podName,
      ordinal,
      workload,
      address,
      proxyCommand: this.opts.proxyCommand ?? DEFAULT_PROXY_COMMAND,
      proxyEnv: typeof this.opts.proxyEnv === 'function' ? this.opts.proxyEnv(workload) : (this.opts.proxyEnv ?? {}),
      cwd: this.opts.cwd ?? process.cwd(),
      logDir: this.opts.logDir,
      terminationGraceMs: this.opts.terminationGraceMs ?? DEFAULT_TERMINATION_GRACE_MS,
      backoff: new ExponentialBackoff({
        random: this.opts.random ?? Math.random,
        minMs: RESTART_BACKOFF_MIN_MS,
        maxMs: RESTART_BACKOFF_MAX_MS,
        multiplier: RESTART_BACKOFF_MULTIPLIER,
        jitter: RESTART_BACKOFF_JITTER,
      }),
      now: this.opts.now ?? Date.now,
      onChange: () => this.kick(),
      report: this.report,
    });
    this.replicas.set(`${workload.key}/${podName}`, replica);
    this.report(`starting ${podName} on ${address}`);
    replica.start();
    return true;
  }

  /**
   * A removal, in order: the replica is already out of rotation in its slices (written before this is called);
   * its proxy gets SIGTERM at once and drains as Knative's queue-proxy does: probes fail, but it accepts and
   * serves whatever still arrives until no request has come for its quiet period (LOCAL_DRAIN_QUIET_PERIOD_MS),
   * so callers that learn of the removal late lose nothing; then the app stops. As in Kubernetes, where the
   * endpoint removal and SIGTERM race, no wait between the two is needed.
   */
  private async retire(replica: Replica): Promise<void> {
    await replica.terminate();
    if (this.closing) return;
    this.replicas.delete(`${replica.workload.key}/${replica.podName}`);
    this.pool.release(replica.address);
    this.kick();
  }

  private async writeSlices(): Promise<void> {
    const plan = planSlices(
      this.source?.services.list() ?? [],
      [...this.workloads.values()],
      [...this.replicas.values()].map((r) => ({ podName: r.podName, address: r.address, workload: r.workload.key, phase: r.phase })),
    );
    for (const problem of plan.problems) this.reportOnce(problem);
    const planned = new Set<string>();
    const objects = [...[...plan.pods].map(([key, pod]) => [`pod.${key}`, pod] as const), ...plan.slices];
    for (const [key, object] of objects) {
      const file = `${SLICE_FOLDER}/${key.replace('/', '.')}.yaml`;
      planned.add(file);
      const text = JSON.stringify(object);
      if (this.written.get(file) === text) continue;
      try {
        await this.store.writeObject(file, object);
        this.written.set(file, text);
      } catch (err) {
        this.report(`cannot write ${file}: ${(err as Error).message}`);
      }
    }
    for (const file of [...this.written.keys()]) {
      if (planned.has(file)) continue;
      await this.store.removeFile(file).catch((err: Error) => this.report(`cannot remove ${file}: ${err.message}`));
      this.written.delete(file);
    }
  }
}
