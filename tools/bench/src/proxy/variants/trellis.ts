import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { identityProxyEnv, identityServiceArgs, inboundConnectionsByTls, writeBenchIdentity, type BenchIdentityFiles } from '../bench-identity';
import { BenchError } from '../errors';
import { authorityOf, BENCH_NAMESPACE, meshManifests, SERVICE_PORT, type MeshBackend } from '../mesh-manifests';
import { freePort, LOAD_CPU, PROXY_CPU, removeOnExit, startProcess, stopProcess, waitForPort, type Managed } from '../processes';
import { timedLaunch } from '../time-in-proxy-window';
import { destinationArgs, trellisProxyEnv, type TrellisPorts } from '../trellis-env';
import type { StartContext, StartedVariant, VariantAdapter } from './variant';

const PROXY_BUNDLE = 'dist/apps/proxy/main.js';
const DESTINATION_BUNDLE = 'dist/apps/destination/main.js';
const IDENTITY_BUNDLE = 'dist/apps/identity/main.js';
/** The trust domain deploy/ gives the destination and the identity service's default. */
const TRUST_DOMAIN = 'cluster.local';
/** esbuild bundles take seconds; the cap only stops a hung build. */
const BUILD_TIMEOUT_MS = 300_000;
const H1_SERVICE = 'backend-h1';
const H2_SERVICE = 'backend-h2';

// Copies of the bundles taken once per run inside dist/ (so node_modules still resolves): the tree is being edited
// and rebuilt by others while the benchmark runs, and every round must measure the same build.
const SNAPSHOT_PARENT = 'dist/tools/bench/proxy';

interface Snapshot {
  readonly proxy: string;
  readonly destination: string;
  readonly identity: string;
  /** The copy of the --baseline-proxy bundle, when one was given. */
  readonly baselineProxy?: string;
}

/** Which proxy bundle a Trellis variant runs: this tree's build, or the one given with --baseline-proxy. */
type Build = 'current' | 'baseline';

let bundles: Promise<Snapshot> | undefined;
let snapshotBuiltAt: string | undefined;
let baselineBuiltAt: string | undefined;

function build(ctx: StartContext, project: string): void {
  const run = spawnSync('npx', ['nx', 'run', `${project}:build`, '--outputStyle=static'], {
    cwd: ctx.repoRoot,
    encoding: 'utf8',
    timeout: BUILD_TIMEOUT_MS,
  });
  if (run.status !== 0) {
    const tail = `${run.stdout ?? ''}\n${run.stderr ?? ''}`.trim().split('\n').slice(-5).join(' | ');
    throw new BenchError('BENCH_START', `npx nx run ${project}:build failed: ${tail}`);
  }
}

/** Builds the proxy and destination bundles once per benchmark run (unless --no-build) and snapshots them. */
function ensureBundles(ctx: StartContext): Promise<Snapshot> {
  bundles ??= (async () => {
    if (ctx.build) {
      build(ctx, 'proxy');
      build(ctx, 'destination');
      build(ctx, 'identity-service');
    }
    for (const bundle of [PROXY_BUNDLE, DESTINATION_BUNDLE, IDENTITY_BUNDLE]) {
      if (!existsSync(path.join(ctx.repoRoot, bundle))) throw new BenchError('BENCH_START', `${bundle} is missing (build it with npx nx run ${bundle.split('/')[2]}:build)`);
    }
    const dir = path.join(ctx.repoRoot, SNAPSHOT_PARENT, `trellis-${process.pid}`);
    await mkdir(dir, { recursive: true });
    removeOnExit(dir);
    const builtAt = statSync(path.join(ctx.repoRoot, PROXY_BUNDLE)).mtime.toISOString();
    const snapshot = {
      proxy: path.join(dir, 'proxy.js'),
      destination: path.join(dir, 'destination.js'),
      identity: path.join(dir, 'identity.js'),
      baselineProxy: ctx.baselineProxy ? path.join(dir, 'proxy-baseline.js') : undefined,
    };
    await copyFile(path.join(ctx.repoRoot, PROXY_BUNDLE), snapshot.proxy);
    await copyFile(path.join(ctx.repoRoot, DESTINATION_BUNDLE), snapshot.destination);
    await copyFile(path.join(ctx.repoRoot, IDENTITY_BUNDLE), snapshot.identity);
    if (ctx.baselineProxy && snapshot.baselineProxy) {
      baselineBuiltAt = statSync(ctx.baselineProxy).mtime.toISOString();
      await copyFile(ctx.baselineProxy, snapshot.baselineProxy);
    }
    snapshotBuiltAt = builtAt;
    return snapshot;
  })();
  return bundles;
}

/** The snapshot with `proxy` pointing at the bundle the variant measures; the destination service is always the current one. */
async function bundlesFor(ctx: StartContext, build: Build): Promise<Snapshot> {
  const snapshot = await ensureBundles(ctx);
  if (build === 'current') return snapshot;
  if (!snapshot.baselineProxy) throw new BenchError('BENCH_START', 'baseline variants need --baseline-proxy');
  return { ...snapshot, proxy: snapshot.baselineProxy };
}

/** When the measured proxy bundle was built, for the report; undefined when no Trellis variant started. */
export function measuredProxyBuildTime(): string | undefined {
  return snapshotBuiltAt;
}

/** When the --baseline-proxy bundle was built, for the report; undefined when none was copied. */
export function baselineProxyBuildTime(): string | undefined {
  return baselineBuiltAt;
}

async function allocatePorts(outbound: boolean): Promise<TrellisPorts> {
  return {
    outbound: outbound ? await freePort() : undefined,
    inboundHttp: await freePort(),
    inboundH2c: await freePort(),
    admin: await freePort(),
    stats: await freePort(),
    metrics: await freePort(),
  };
}

interface Stack {
  readonly processes: Managed[];
  readonly support: Managed[];
}

async function stopAll(stack: Stack): Promise<void> {
  await Promise.all([...stack.processes, ...stack.support].map(stopProcess));
}

async function startDestination(ctx: StartContext, snapshot: Snapshot, stack: Stack, backends: readonly MeshBackend[], trustDomain?: string): Promise<number> {
  const dir = path.join(ctx.workDir, 'manifests');
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'bench.yaml'), meshManifests(backends));
  const [grpcPort, adminPort] = [await freePort(), await freePort()];
  const managed = startProcess('destination', LOAD_CPU, process.execPath, [snapshot.destination, ...destinationArgs(grpcPort, adminPort, dir, trustDomain)], {
    cwd: ctx.repoRoot,
  });
  stack.support.push(managed);
  await waitForPort(managed, grpcPort);
  return grpcPort;
}

/** Env that turns a proxy's identity on; empty for plaintext variants. */
type IdentityEnv = Readonly<Record<string, string>>;

async function startProxy(ctx: StartContext, snapshot: Snapshot, stack: Stack, name: string, ports: TrellisPorts, destinationPort: number, userPort: number, waitOn: number, identity: IdentityEnv = {}): Promise<void> {
  const timed = timedLaunch(ctx.timeInProxy);
  const env = { ...process.env, ...trellisProxyEnv({ ports, destinationPort, userPort }), ...identity, ...timed.env };
  const managed = startProcess(name, PROXY_CPU, process.execPath, [...ctx.proxyNodeOptions, ...timed.nodeOptions, snapshot.proxy], { env, cwd: ctx.repoRoot });
  stack.processes.push(managed);
  await waitForPort(managed, waitOn);
}

/** Runs `body` and, if it throws, stops whatever it had started before passing the error on. */
async function withStack(ctx: StartContext, body: (stack: Stack) => Promise<Omit<StartedVariant, 'processes' | 'stop'>>): Promise<StartedVariant> {
  const stack: Stack = { processes: [], support: [] };
  try {
    const started = await body(stack);
    // Every proxy of the stack ran with the preload (startProxy); the destination and identity services did not.
    const timed = ctx.timeInProxy === undefined ? undefined : stack.processes;
    return { ...started, processes: stack.processes, timed, stop: () => stopAll(stack) };
  } catch (err) {
    await stopAll(stack);
    throw err;
  }
}

function outboundTargets(port: number) {
  return {
    h1: { url: `http://127.0.0.1:${port}/`, headers: [`Host: ${hostOf(H1_SERVICE)}`] },
    h2: { url: `http://127.0.0.1:${port}/`, headers: [`:authority: ${hostOf(H2_SERVICE)}`] },
  };
}

// Port 80 is the default, so the Host a client sends carries no port; the destination authority does.
function hostOf(service: string): string {
  return authorityOf(service).replace(`:${SERVICE_PORT}`, '');
}

/**
 * Two inbound-only proxies, one per backend protocol (USER_PORT names a single app port). The outbound role is off,
 * so the destination port given is never dialled.
 */
async function startInbounds(ctx: StartContext, snapshot: Snapshot, stack: Stack, identity: IdentityEnv = {}): Promise<{ h1: TrellisPorts; h2: TrellisPorts }> {
  const h1 = await allocatePorts(false);
  const h2 = await allocatePorts(false);
  const unusedDestination = await freePort();
  await startProxy(ctx, snapshot, stack, 'trellis-inbound-h1', h1, unusedDestination, ctx.backendH1Port, h1.inboundHttp, identity);
  await startProxy(ctx, snapshot, stack, 'trellis-inbound-h2', h2, unusedDestination, ctx.backendH2Port, h2.inboundH2c, identity);
  return { h1, h2 };
}

async function startOutbound(ctx: StartContext, snapshot: Snapshot, stack: Stack, destinationPort: number, identity: IdentityEnv = {}): Promise<number> {
  const ports = await allocatePorts(true);
  const outbound = ports.outbound ?? 0;
  await startProxy(ctx, snapshot, stack, 'trellis-outbound', ports, destinationPort, ctx.backendH1Port, outbound, identity);
  return outbound;
}

/** The identity service on the load CPU with a fresh PKI in the slot's work dir; returns its gRPC port. */
async function startIdentity(ctx: StartContext, snapshot: Snapshot, stack: Stack, files: BenchIdentityFiles): Promise<number> {
  const [grpcPort, adminPort] = [await freePort(), await freePort()];
  const managed = startProcess('identity', LOAD_CPU, process.execPath, [snapshot.identity, ...identityServiceArgs(files, grpcPort, adminPort)], { cwd: ctx.repoRoot });
  stack.support.push(managed);
  await waitForPort(managed, grpcPort);
  return grpcPort;
}

/** Fails unless every inbound proxy accepted mTLS connections (with a client identity) and no plaintext one. */
async function verifyMtls(inbounds: readonly TrellisPorts[]): Promise<void> {
  for (const ports of inbounds) {
    const response = await fetch(`http://127.0.0.1:${ports.metrics}/metrics`);
    const counts = inboundConnectionsByTls(await response.text());
    if (counts.mtls === 0 || counts.plaintext > 0) {
      throw new BenchError('BENCH_VERIFY', `inbound proxy on :${ports.inboundHttp} counted ${counts.mtls} mTLS and ${counts.plaintext} plaintext connections`);
    }
  }
}

/** What a Trellis variant runs, independent of which proxy bundle it runs. */
interface TrellisShape {
  readonly id: string;
  readonly label: string;
  readonly description: string;
  start(ctx: StartContext, snapshot: Snapshot): Promise<StartedVariant>;
}

const BASELINE_ID_SUFFIX = '-baseline';

function trellisVariant(shape: TrellisShape, build: Build): VariantAdapter {
  const baseline = build === 'baseline';
  return {
    id: baseline ? `${shape.id}${BASELINE_ID_SUFFIX}` : shape.id,
    label: baseline ? `${shape.label} (baseline)` : shape.label,
    description: baseline ? `the same as \`${shape.id}\`, running the --baseline-proxy bundle instead of the current build.` : shape.description,
    kind: 'trellis',
    baselineOf: baseline ? shape.id : undefined,
    start: async (ctx) => shape.start(ctx, await bundlesFor(ctx, build)),
  };
}

const OUTBOUND: TrellisShape = {
  id: 'trellis-outbound',
  label: 'Trellis outbound',
  description: 'apps/proxy outbound role: routes on Host / :authority resolved by apps/destination (fs source), one endpoint, default settings.',
  start: (ctx, snapshot) =>
    withStack(ctx, async (stack) => {
      const destinationPort = await startDestination(ctx, snapshot, stack, [
        { name: H1_SERVICE, port: ctx.backendH1Port },
        { name: H2_SERVICE, port: ctx.backendH2Port, appProtocol: 'kubernetes.io/h2c' },
      ]);
      return outboundTargets(await startOutbound(ctx, snapshot, stack, destinationPort));
    }),
};

const INBOUND: TrellisShape = {
  id: 'trellis-inbound',
  label: 'Trellis inbound',
  description: 'apps/proxy inbound role (queue-proxy) forwarding to USER_PORT, outbound role off; one process per backend protocol.',
  start: (ctx, snapshot) =>
    withStack(ctx, async (stack) => {
      const inbound = await startInbounds(ctx, snapshot, stack);
      return {
        h1: { url: `http://127.0.0.1:${inbound.h1.inboundHttp}/`, headers: [] },
        h2: { url: `http://127.0.0.1:${inbound.h2.inboundH2c}/`, headers: [] },
      };
    }),
};

const TWO_HOP: TrellisShape = {
  id: 'trellis-two-hop',
  label: 'Trellis outbound → inbound',
  description: 'the mesh path: an outbound proxy whose endpoint is an inbound proxy in front of the backend; both pinned to the proxy CPU.',
  start: (ctx, snapshot) =>
    withStack(ctx, async (stack) => {
      const inbound = await startInbounds(ctx, snapshot, stack);
      const destinationPort = await startDestination(ctx, snapshot, stack, [
        { name: H1_SERVICE, port: inbound.h1.inboundHttp },
        { name: H2_SERVICE, port: inbound.h2.inboundH2c, appProtocol: 'kubernetes.io/h2c' },
      ]);
      return outboundTargets(await startOutbound(ctx, snapshot, stack, destinationPort));
    }),
};

const TWO_HOP_MTLS: TrellisShape = {
  id: 'trellis-two-hop-mtls',
  label: 'Trellis outbound → inbound, mTLS',
  description:
    'the two-hop path with identity on: apps/identity (local tokens, a fresh PKI) certifies all three proxies, the destination sends the inbound proxies\' identities, so the hop is mTLS (checked on the inbound proxies\' tcp_open_total after each slot).',
  start: (ctx, snapshot) =>
    withStack(ctx, async (stack) => {
      const files = await writeBenchIdentity(path.join(ctx.workDir, 'identity'), BENCH_NAMESPACE);
      const identity = identityProxyEnv(files, await startIdentity(ctx, snapshot, stack, files), BENCH_NAMESPACE);
      const inbound = await startInbounds(ctx, snapshot, stack, identity);
      const destinationPort = await startDestination(
        ctx,
        snapshot,
        stack,
        [
          { name: H1_SERVICE, port: inbound.h1.inboundHttp, meshedPod: 'inbound-h1' },
          { name: H2_SERVICE, port: inbound.h2.inboundH2c, appProtocol: 'kubernetes.io/h2c', meshedPod: 'inbound-h2' },
        ],
        TRUST_DOMAIN,
      );
      const outbound = await startOutbound(ctx, snapshot, stack, destinationPort, identity);
      return { ...outboundTargets(outbound), verify: () => verifyMtls([inbound.h1, inbound.h2]) };
    }),
};

export const trellisOutbound = trellisVariant(OUTBOUND, 'current');
export const trellisOutboundBaseline = trellisVariant(OUTBOUND, 'baseline');
export const trellisInbound = trellisVariant(INBOUND, 'current');
export const trellisInboundBaseline = trellisVariant(INBOUND, 'baseline');
export const trellisTwoHop = trellisVariant(TWO_HOP, 'current');
export const trellisTwoHopBaseline = trellisVariant(TWO_HOP, 'baseline');
export const trellisTwoHopMtls = trellisVariant(TWO_HOP_MTLS, 'current');
export const trellisTwoHopMtlsBaseline = trellisVariant(TWO_HOP_MTLS, 'baseline');
