import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DEFAULT_TRUST_DOMAIN } from '@trellis/identity';
import { LocalError } from '../errors';
import type { Child } from '../process/child';
import { describeExit, spawnChild } from '../process/child';
import { LocalRunner, PROXY_NODE_FLAGS, SLICE_FOLDER } from '../runner/runner';
import { throwIfAborted, waitForHttp, waitForPort } from './control-plane';
import { followDestinationProblems, type ProblemFollower } from './destination-problems';
import { prepareLocalIdentity, waitForIdentityPorts } from './local-identity';
import type { StartOptions } from './start-options';

// Children get this long to exit after SIGTERM before SIGKILL (the runner's replicas use their own grace).
const CONTROL_PLANE_GRACE_MS = 5_000;
const LOOPBACK = '127.0.0.1';

export const BUILT_FILES = {
  destination: 'dist/apps/destination/main.js',
  proxy: 'dist/apps/proxy/main.js',
  autoscaler: 'dist/apps/autoscaler/main.js',
  identity: 'dist/apps/identity/main.js',
  demo: 'dist/tools/local/demo-app.js',
} as const;

export interface LocalMesh {
  readonly manifestDir: string;
  readonly logDir: string;
  readonly runner: LocalRunner;
  /** Resolves with a reason when a control-plane process exits on its own. */
  readonly failure: Promise<string>;
  /** PIDs of every process the mesh runs right now. */
  pids(): number[];
  /** Stops everything (outbound proxy, autoscaler, replicas, destination); removes the temporary folder unless keepFiles. */
  stop(keepFiles: boolean): Promise<void>;
}

export interface MeshContext {
  /** The repository root: where dist/ and examples/ are, and the working directory of every process. */
  root: string;
  print: (line: string) => void;
  /** Ctrl-C while starting: stop what was started and throw LOCAL_ABORTED. */
  signal?: AbortSignal;
}

function requireBuilt(root: string, autoscaler: boolean): void {
  const needed = Object.entries(BUILT_FILES).filter(([name]) => autoscaler || name !== 'autoscaler');
  const missing = needed.map(([, file]) => file).filter((file) => !existsSync(join(root, file)));
  if (missing.length > 0) {
    throw new LocalError(
      'LOCAL_NOT_BUILT',
      `missing ${missing.join(', ')}: build first with \`npx nx run-many -t build -p destination proxy autoscaler identity-service local\` (npm start does this for you)`,
    );
  }
}

/** Starts the whole local mesh; on a failure part-way, stops what it started and rethrows. */
export async function startLocalMesh(options: StartOptions, ctx: MeshContext): Promise<LocalMesh> {
  requireBuilt(ctx.root, options.autoscaler);
  const workDir = await mkdtemp(join(tmpdir(), 'trellis-local-'));
  const logDir = join(workDir, 'logs');
  await mkdir(logDir);
  let manifestDir: string;
  if (options.dir === undefined) {
    manifestDir = join(workDir, 'manifests');
    await cp(join(ctx.root, 'examples'), manifestDir, { recursive: true, filter: (src) => !src.includes(SLICE_FOLDER) });
  } else {
    manifestDir = resolve(options.dir);
    if (!existsSync(manifestDir)) throw new LocalError('LOCAL_BAD_FLAG', `--dir ${options.dir} does not exist`);
  }

  const children: Child[] = [];
  let expectExit = false;
  let reportFailure: (reason: string) => void = () => undefined;
  const failure = new Promise<string>((r) => (reportFailure = r));
  const start = (name: string, command: string[], env: Record<string, string> = {}) => {
    const logFile = join(logDir, `${name}.log`);
    const child = spawnChild({ name, command, env, cwd: ctx.root, output: { file: logFile } });
    children.push(child);
    void child.exited.then((info) => {
      if (!expectExit) reportFailure(`${name} ${describeExit(info)}; see ${logFile}`);
    });
    return { child, logFile };
  };

  const destinationAddr = `${LOOPBACK}:${options.destinationPort}`;
  const autoscalerAddr = `${LOOPBACK}:${options.autoscalerPort}`;
  // Every proxy takes its routes (OutboundPolicies) and its inbound policy (InboundServerPolicies) from the policy port.
  const routing = {
    TRELLIS_DESTINATION_ADDR: destinationAddr,
    TRELLIS_POLICY_PORT: String(options.policyPort),
    TRELLIS_POLICY_ADDR: `${LOOPBACK}:${options.policyPort}`,
    ...(options.autoscaler ? { TRELLIS_AUTOSCALER_ADDR: autoscalerAddr } : {}),
  };
  const identity = await prepareLocalIdentity(workDir, (m) => ctx.print(m));
  // Set once the identity service listens, before the runner starts any replica.
  let identityAddr = '';
  const runner = new LocalRunner({
    dir: manifestDir,
    proxyCommand: ['node', ...PROXY_NODE_FLAGS, BUILT_FILES.proxy],
    proxyEnv: (workload) => ({ ...routing, ...identity.proxyEnv(workload.namespace, identityAddr) }),
    addressRange: options.addresses,
    cwd: ctx.root,
    logDir,
    report: (m) => ctx.print(`runner: ${m}`),
  });

  // Manifest problems only the destination finds (an invalid ServiceProfile or route) reach the console too.
  let problems: ProblemFollower | undefined;
  const stop = async (keepFiles: boolean) => {
    expectExit = true;
    problems?.close();
    const [destination, ...rest] = children;
    await Promise.all(rest.map((c) => c.stop(CONTROL_PLANE_GRACE_MS)));
    await runner.close();
    identity.close();
    await destination?.stop(CONTROL_PLANE_GRACE_MS);
    if (!keepFiles) await rm(workDir, { recursive: true, force: true });
  };

  try {
    const destination = start('destination', [
      'node', BUILT_FILES.destination,
      '--source', `fs:${manifestDir}`,
      '--grpc-port', String(options.destinationPort),
      '--policy-port', String(options.policyPort),
      '--admin-port', String(options.destinationAdminPort),
      '--listen-host', LOOPBACK,
      // Every replica's proxy is certified (below), so endpoints carry identities and each hop between proxies is mTLS.
      '--identity-trust-domain', DEFAULT_TRUST_DOMAIN,
      // The dashboard on the admin port reads every replica's proxy from the slices, plus these two.
      '--dashboard-metrics', `${LOOPBACK}:${options.metricsPort}`,
      ...(options.autoscaler ? ['--dashboard-autoscaler', autoscalerAddr] : []),
    ]);
    problems = followDestinationProblems(destination.logFile, manifestDir, (m) => ctx.print(`destination: ${m}`));
    await waitForHttp(destination.child, `http://${LOOPBACK}:${options.destinationAdminPort}/ready`, destination.logFile, ctx.signal);
    ctx.print(`destination ready on ${destinationAddr} (admin :${options.destinationAdminPort})`);

    const identityService = start('identity', [
      'node', BUILT_FILES.identity, ...identity.args, '--listen-host', LOOPBACK, '--grpc-port', '0', '--admin-port', '0',
    ]);
    const identityPorts = await waitForIdentityPorts(identityService.child, identityService.logFile, ctx.signal);
    identityAddr = `${LOOPBACK}:${identityPorts.grpcPort}`;
    ctx.print(`identity ready on ${identityAddr} (admin :${identityPorts.adminPort})`);

    await runner.start();
    throwIfAborted(ctx.signal);
    ctx.print(`runner started: ${runner.status().map((s) => `${s.workload} ×${s.desired}`).join(', ') || 'no Deployment opts into local mode'}`);

    if (options.autoscaler) {
      const autoscaler = start('autoscaler', [
        'node', BUILT_FILES.autoscaler,
        '--source', `fs:${manifestDir}`,
        '--actuator', 'fs',
        '--admin-host', LOOPBACK,
        '--admin-port', String(options.autoscalerPort),
      ]);
      await waitForHttp(autoscaler.child, `http://${autoscalerAddr}/ready`, autoscaler.logFile, ctx.signal);
      ctx.print(`autoscaler ready on ${autoscalerAddr}`);
    }

    // The outbound proxy also runs the inbound role; its listeners take any free port on 127.0.0.1 so that
    // they clash with nothing, except the metrics port the status lines read. Nothing routes to that inbound
    // role, so on SIGTERM it has no quiet period to wait for.
    const outbound = start('outbound-proxy', ['node', ...PROXY_NODE_FLAGS, BUILT_FILES.proxy], {
      ...routing,
      ...identity.proxyEnv('default', identityAddr),
      TRELLIS_OUTBOUND_ADDR: `${LOOPBACK}:${options.outboundPort}`,
      TRELLIS_INBOUND_HOST: LOOPBACK,
      QUEUE_SERVING_PORT: '0',
      TRELLIS_INBOUND_H2C_PORT: '0',
      TRELLIS_ADMIN_PORT: '0',
      TRELLIS_STATS_PORT: '0',
      TRELLIS_METRICS_PORT: String(options.metricsPort),
      TRELLIS_DRAIN_QUIET_PERIOD_MS: '0',
    });
    await waitForPort(outbound.child, LOOPBACK, options.outboundPort, outbound.logFile, ctx.signal);
    ctx.print(`outbound proxy ready on ${LOOPBACK}:${options.outboundPort} (metrics :${options.metricsPort})`);
  } catch (err) {
    const aborted = err instanceof LocalError && err.code === 'LOCAL_ABORTED';
    await stop(!aborted);
    throw err;
  }

  return {
    manifestDir,
    logDir,
    runner,
    failure,
    pids: () => [...children.filter((c) => c.running).map((c) => c.pid), ...runner.replicaInfo().flatMap((r) => r.pids)].filter((p): p is number => p !== undefined),
    stop,
  };
}
