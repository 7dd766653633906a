import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BenchError } from '../errors';
import { authorityOf, meshManifests, SERVICE_PORT, type MeshBackend } from '../mesh-manifests';
import { freePort, LOAD_CPU, PROXY_CPU, startProcess, stopProcess, waitForPort, type Managed } from '../processes';
import { destinationArgs, trellisProxyEnv, type TrellisPorts } from '../trellis-env';
import type { StartContext, StartedVariant, VariantAdapter } from './variant';

const PROXY_BUNDLE = 'dist/apps/proxy/main.js';
const DESTINATION_BUNDLE = 'dist/apps/destination/main.js';
/** esbuild bundles take seconds; the cap only stops a hung build. */
const BUILD_TIMEOUT_MS = 300_000;
const H1_SERVICE = 'backend-h1';
const H2_SERVICE = 'backend-h2';

let bundles: Promise<void> | undefined;

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

/** Builds the proxy and destination bundles once per benchmark run (unless --no-build), then checks they exist. */
function ensureBundles(ctx: StartContext): Promise<void> {
  bundles ??= (async () => {
    if (ctx.build) {
      build(ctx, 'proxy');
      build(ctx, 'destination');
    }
    for (const bundle of [PROXY_BUNDLE, DESTINATION_BUNDLE]) {
      if (!existsSync(path.join(ctx.repoRoot, bundle))) throw new BenchError('BENCH_START', `${bundle} is missing (build it with npx nx run ${bundle.split('/')[2]}:build)`);
    }
  })();
  return bundles;
}

/** When the proxy bundle was built, for the report. */
export function proxyBundleTime(repoRoot: string): string | undefined {
  const file = path.join(repoRoot, PROXY_BUNDLE);
  return existsSync(file) ? statSync(file).mtime.toISOString() : undefined;
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

async function startDestination(ctx: StartContext, stack: Stack, backends: readonly MeshBackend[]): Promise<number> {
  const dir = path.join(ctx.workDir, 'manifests');
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'bench.yaml'), meshManifests(backends));
  const [grpcPort, adminPort] = [await freePort(), await freePort()];
  const managed = startProcess('destination', LOAD_CPU, process.execPath, [path.join(ctx.repoRoot, DESTINATION_BUNDLE), ...destinationArgs(grpcPort, adminPort, dir)], {
    cwd: ctx.repoRoot,
  });
  stack.support.push(managed);
  await waitForPort(managed, grpcPort);
  return grpcPort;
}

async function startProxy(ctx: StartContext, stack: Stack, name: string, ports: TrellisPorts, destinationPort: number, userPort: number, waitOn: number): Promise<void> {
  const env = { ...process.env, ...trellisProxyEnv({ ports, destinationPort, userPort }) };
  const managed = startProcess(name, PROXY_CPU, process.execPath, [path.join(ctx.repoRoot, PROXY_BUNDLE)], { env, cwd: ctx.repoRoot });
  stack.processes.push(managed);
  await waitForPort(managed, waitOn);
}

/** Runs `body` and, if it throws, stops whatever it had started before passing the error on. */
async function withStack(body: (stack: Stack) => Promise<Omit<StartedVariant, 'processes' | 'stop'>>): Promise<StartedVariant> {
  const stack: Stack = { processes: [], support: [] };
  try {
    const started = await body(stack);
    return { ...started, processes: stack.processes, stop: () => stopAll(stack) };
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
async function startInbounds(ctx: StartContext, stack: Stack): Promise<{ h1: TrellisPorts; h2: TrellisPorts }> {
  const h1 = await allocatePorts(false);
  const h2 = await allocatePorts(false);
  const unusedDestination = await freePort();
  await startProxy(ctx, stack, 'trellis-inbound-h1', h1, unusedDestination, ctx.backendH1Port, h1.inboundHttp);
  await startProxy(ctx, stack, 'trellis-inbound-h2', h2, unusedDestination, ctx.backendH2Port, h2.inboundH2c);
  return { h1, h2 };
}

async function startOutbound(ctx: StartContext, stack: Stack, destinationPort: number): Promise<number> {
  const ports = await allocatePorts(true);
  const outbound = ports.outbound ?? 0;
  await startProxy(ctx, stack, 'trellis-outbound', ports, destinationPort, ctx.backendH1Port, outbound);
  return outbound;
}

export const trellisOutbound: VariantAdapter = {
  id: 'trellis-outbound',
  label: 'Trellis outbound',
  description: 'apps/proxy outbound role: routes on Host / :authority resolved by apps/destination (fs source), one endpoint, default settings.',
  kind: 'trellis',
  async start(ctx) {
    await ensureBundles(ctx);
    return withStack(async (stack) => {
      const destinationPort = await startDestination(ctx, stack, [
        { name: H1_SERVICE, port: ctx.backendH1Port },
        { name: H2_SERVICE, port: ctx.backendH2Port, appProtocol: 'kubernetes.io/h2c' },
      ]);
      return outboundTargets(await startOutbound(ctx, stack, destinationPort));
    });
  },
};

export const trellisInbound: VariantAdapter = {
  id: 'trellis-inbound',
  label: 'Trellis inbound',
  description: 'apps/proxy inbound role (queue-proxy) forwarding to USER_PORT, outbound role off; one process per backend protocol.',
  kind: 'trellis',
  async start(ctx) {
    await ensureBundles(ctx);
    return withStack(async (stack) => {
      const inbound = await startInbounds(ctx, stack);
      return {
        h1: { url: `http://127.0.0.1:${inbound.h1.inboundHttp}/`, headers: [] },
        h2: { url: `http://127.0.0.1:${inbound.h2.inboundH2c}/`, headers: [] },
      };
    });
  },
};

export const trellisTwoHop: VariantAdapter = {
  id: 'trellis-two-hop',
  label: 'Trellis outbound → inbound',
  description: 'the mesh path: an outbound proxy whose endpoint is an inbound proxy in front of the backend; both pinned to the proxy CPU.',
  kind: 'trellis',
  async start(ctx) {
    await ensureBundles(ctx);
    return withStack(async (stack) => {
      const inbound = await startInbounds(ctx, stack);
      const destinationPort = await startDestination(ctx, stack, [
        { name: H1_SERVICE, port: inbound.h1.inboundHttp },
        { name: H2_SERVICE, port: inbound.h2.inboundH2c, appProtocol: 'kubernetes.io/h2c' },
      ]);
      return outboundTargets(await startOutbound(ctx, stack, destinationPort));
    });
  },
};
