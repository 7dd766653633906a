import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTempDir, processAlive, waitFor } from '@trellis/testing';
import type { TempDir } from '@trellis/testing';
import { ProxyAgent, request } from 'undici';
import type { Child } from '../../process/child';
import { spawnChild } from '../../process/child';
import { LocalRunner } from '../../runner/runner';
import { BUILT_FILES } from '../local-mesh';

// The end-to-end tests' shared set-up: the built destination, the local runner and the outbound proxy as real
// processes, started and stopped in the order `npm start` uses, on loopback addresses of the test's own.
export const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', '..', '..');
export const START_TIMEOUT_MS = 40_000;
export const STOP_TIMEOUT_MS = 25_000;
export const CHILD_GRACE_MS = 10_000;
const POLL_MS = 100;
const PROBE_TIMEOUT_MS = 1_000;
const TCP_PROBE_TIMEOUT_MS = 500;

export function tcpOpen(host: string, port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host, port });
    socket.setTimeout(TCP_PROBE_TIMEOUT_MS, () => socket.destroy());
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
    socket.once('close', () => done(false));
  });
}

export async function httpOk(url: string): Promise<boolean> {
  try {
    const res = await request(url, { headersTimeout: PROBE_TIMEOUT_MS, bodyTimeout: PROBE_TIMEOUT_MS });
    await res.body.dump();
    return res.statusCode === 200;
  } catch {
    return false;
  }
}

export interface E2eMeshOptions {
  /** Prefix of the temporary folder. */
  readonly name: string;
  /** The control plane's and the outbound proxy's address. */
  readonly host: string;
  readonly ports: { readonly destination: number; readonly destinationAdmin: number; readonly outbound: number };
  /** The replicas' loopback range, e.g. 127.74.0.2-127.74.0.40; no other test may use it. */
  readonly addressRange: string;
  /** Connections the outbound agent may open. */
  readonly agentConnections?: number;
}

/**
 * A temporary folder with logs/, the processes a test starts, and every pid seen (replicas included), so a failed
 * run ends whatever it left alive. `close()` stops everything once and removes the folder.
 */
export class E2eMesh {
  dir!: TempDir;
  runner: LocalRunner | undefined;
  readonly agent: ProxyAgent;
  readonly pids = new Set<number>();
  private readonly children: Child[] = [];
  private sampler: NodeJS.Timeout | undefined;
  private stopping: Promise<void> | undefined;

  constructor(private readonly options: E2eMeshOptions) {
    this.agent = new ProxyAgent({
      uri: `http://${options.host}:${options.ports.outbound}`,
      proxyTunnel: false,
      ...(options.agentConnections === undefined ? {} : { connections: options.agentConnections }),
    });
  }

  get destinationAddr(): string {
    return `${this.options.host}:${this.options.ports.destination}`;
  }

  async open(): Promise<void> {
    const missing = Object.values(BUILT_FILES).filter((f) => !existsSync(join(ROOT, f)));
    if (missing.length > 0) throw new Error(`build first (npx nx run local:test does): missing ${missing.join(', ')}`);
    this.dir = await createTempDir(`trellis-${this.options.name}-`);
    await this.dir.write('logs/.keep', '');
  }

  start(name: string, command: string[], env: Record<string, string> = {}): Child {
    const child = spawnChild({ name, command, env, cwd: ROOT, output: { file: join(this.dir.path, 'logs', `${name}.log`) } });
    this.children.push(child);
    if (child.pid !== undefined) this.pids.add(child.pid);
    return child;
  }

  /** The destination must be started first: it is stopped last. */
  async startDestination(manifests: string): Promise<void> {
    const { host, ports } = this.options;
    this.start('destination', [
      'node', BUILT_FILES.destination,
      '--source', `fs:${manifests}`,
      '--grpc-port', String(ports.destination),
      '--admin-port', String(ports.destinationAdmin),
      '--listen-host', host,
    ]);
    await waitFor(() => httpOk(`http://${host}:${ports.destinationAdmin}/ready`), { what: 'destination ready', timeoutMs: START_TIMEOUT_MS, intervalMs: POLL_MS });
  }

  async startRunner(manifests: string, proxyEnv: Record<string, string>): Promise<LocalRunner> {
    const runner = new LocalRunner({
      dir: manifests,
      proxyCommand: ['node', BUILT_FILES.proxy],
      proxyEnv,
      addressRange: this.options.addressRange,
      cwd: ROOT,
      logDir: join(this.dir.path, 'logs'),
    });
    this.runner = runner;
    await runner.start();
    this.sampler = setInterval(() => {
      for (const r of runner.replicaInfo()) for (const pid of r.pids) this.pids.add(pid);
    }, POLL_MS);
    return runner;
  }

  /** As `npm start` runs it: the outbound role on its port, the inbound listeners on free ones, no drain. */
  async startOutboundProxy(env: Record<string, string>): Promise<void> {
    const { host, ports } = this.options;
    this.start('outbound-proxy', ['node', BUILT_FILES.proxy], {
      TRELLIS_OUTBOUND_ADDR: `${host}:${ports.outbound}`,
      TRELLIS_INBOUND_HOST: host,
      QUEUE_SERVING_PORT: '0',
      TRELLIS_INBOUND_H2C_PORT: '0',
      TRELLIS_ADMIN_PORT: '0',
      TRELLIS_STATS_PORT: '0',
      TRELLIS_METRICS_PORT: '0',
      TRELLIS_DRAIN_QUIET_PERIOD_MS: '0',
      ...env,
    });
    await waitFor(() => tcpOpen(host, ports.outbound), { what: 'outbound proxy listening', timeoutMs: START_TIMEOUT_MS, intervalMs: POLL_MS });
  }

  /** In the order `npm start` stops: the other processes, the replicas, then the destination. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.sampler !== undefined) clearInterval(this.sampler);
      await this.agent.close();
      const [destination, ...rest] = this.children;
      await Promise.all(rest.map((c) => c.stop(CHILD_GRACE_MS)));
      await this.runner?.close();
      await destination?.stop(CHILD_GRACE_MS);
    })();
    return this.stopping;
  }

  /** Pids this test started that are still alive. */
  survivors(): number[] {
    return [...this.pids].filter(processAlive);
  }

  /** Stops everything, SIGKILLs what a failed run left alive, removes the folder. Idempotent. */
  async close(): Promise<void> {
    await this.stop();
    for (const pid of this.survivors()) process.kill(pid, 'SIGKILL');
    await this.dir?.remove();
  }
}
