// Destination service benchmark (issue 2): S services x E endpoints served from an fs folder by the
// real destination CLI in a child process, with N concurrent Get streams from grpc-js clients.
// Reports the initial-snapshot time, p50/p99 time from a source change (file renamed into place) to
// the diff reaching every stream of that service, and the server's RSS per subscriber
// ((RSS with N streams - RSS with 0) / N, read from the server's own /metrics).
// --source memory serves an in-memory source instead (apps/destination/src/bench/memory-server.ts in a
// child): propagation without the fs source's debounce and rescan.
// Usage: destination-bench [--source fs|memory] [--services 100] [--endpoints 100] [--streams 1000] [--changes 100]
//                          [--connections 10] [--timeout-s 180]
import { spawn } from 'node:child_process';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { credentials } from '@grpc/grpc-js';
import type { ClientReadableStream } from '@grpc/grpc-js';
import { DestinationClient } from '@trellis/proto';
import type { Update } from '@trellis/proto';
import type { EndpointSlice, Service } from '@trellis/kube';
import { bundleEntry } from '@trellis/testing';
import { stringify } from 'yaml';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const BUNDLE = join(ROOT, 'dist/bench/destination/main.mjs');
const MEMORY_BUNDLE = join(ROOT, 'dist/bench/destination/memory-server.mjs');
const NAMESPACE = 'bench';
const SETTLE_MS = 3_000;
const RSS_SAMPLES = 5;
const CHANGE_GAP_MS = 50;

const { values: flags } = parseArgs({
  options: {
    services: { type: 'string', default: '100' },
    endpoints: { type: 'string', default: '100' },
    streams: { type: 'string', default: '1000' },
    changes: { type: 'string', default: '100' },
    connections: { type: 'string', default: '10' },
    'timeout-s': { type: 'string', default: '180' },
    source: { type: 'string', default: 'fs' },
  },
});
const S = Number(flags.services);
const E = Number(flags.endpoints);
const N = Number(flags.streams);
const CHANGES = Number(flags.changes);
const CONNECTIONS = Math.max(1, Number(flags.connections));
const DEADLINE = Date.now() + Number(flags['timeout-s']) * 1000;
const MODE = flags.source;
if (MODE !== 'fs' && MODE !== 'memory') throw new Error(`--source must be fs or memory, got ${MODE}`);
for (const [name, v] of Object.entries({ S, E, N, CHANGES })) {
  if (!Number.isInteger(v) || v < 1) throw new Error(`bad flag value for ${name}: ${v}`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ip = (service: number, endpoint: number) => `10.${(service >> 8) & 255}.${service & 255}.${endpoint + 1}`;

function serviceObject(service: number): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name: `svc-${service}`, namespace: NAMESPACE }, spec: { ports: [{ name: 'http', port: 80, targetPort: 8080 }] } };
}

function sliceObject(service: number, endpoints: number): EndpointSlice {
  const name = `svc-${service}`;
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${name}-1`, namespace: NAMESPACE, labels: { 'kubernetes.io/service-name': name } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080 }],
    endpoints: Array.from({ length: endpoints }, (_, e) => ({ addresses: [ip(service, e)], conditions: { ready: true } })),
  };
}

function manifest(service: number, endpoints: number): string {
  return `${stringify(serviceObject(service))}---\n${stringify(sliceObject(service, endpoints))}`;
}

async function writeAtomic(dir: string, file: string, text: string): Promise<void> {
  const aside = join(dir, `.${file}.tmp`);
  await writeFile(aside, text);
  await rename(aside, join(dir, file));
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

async function bundle(entry: string, outfile: string): Promise<void> {
  await bundleEntry(join(ROOT, entry), outfile);
}

interface Server {
  grpcPort: number;
  adminPort: number;
  /** Applies a new version of a service's slice; resolves once it is in the source. */
  change(service: number, endpoints: number): Promise<void>;
  stop(): Promise<void>;
}

/** apps/destination/src/bench/memory-server.ts in a child: an in-memory source driven over IPC. */
async function startMemoryServer(): Promise<Server> {
  await bundle('apps/destination/src/bench/memory-server.ts', MEMORY_BUNDLE);
  const child = spawn(process.execPath, [MEMORY_BUNDLE, String(S), String(E)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ports = await new Promise<{ grpcPort: number; adminPort: number }>((resolve, reject) => {
    child.once('message', (m) => resolve(m as { grpcPort: number; adminPort: number }));
    child.once('exit', (code) => reject(new Error(`memory server exited with ${code}`)));
  });
  let acked = () => undefined as void;
  child.on('message', () => acked());
  return {
    ...ports,
    change: (service, endpoints) =>
      new Promise<void>((resolve) => {
        acked = resolve;
        child.send({ service, endpoints });
      }),
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

async function startFsServer(): Promise<Server> {
  const dir = await mkdtemp(join(os.tmpdir(), 'trellis-destination-bench-'));
  for (let s = 0; s < S; s += 1) await writeAtomic(dir, `svc-${s}.yaml`, manifest(s, E));
  await bundle('apps/destination/src/main.ts', BUNDLE);
  const child = await spawnServer(dir);
  return {
    grpcPort: child.grpcPort,
    adminPort: child.adminPort,
    change: (service, endpoints) => writeAtomic(dir, `svc-${service}.yaml`, manifest(service, endpoints)),
    stop: async () => {
      child.child.kill('SIGTERM');
      await new Promise((resolve) => child.child.once('exit', resolve));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function spawnServer(dir: string) {
  const child = spawn(process.execPath, [BUNDLE, '--source', `fs:${dir}`, '--grpc-port', '0', '--admin-port', '0', '--listen-host', '127.0.0.1', '--stream-queue-limit', '1000'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  while (Date.now() < DEADLINE) {
    const line = out.split('\n').find((l) => l.includes('"msg":"listening"'));
    if (line) {
      const { grpcPort, adminPort } = JSON.parse(line) as { grpcPort: number; adminPort: number };
      return { child, grpcPort, adminPort };
    }
    if (child.exitCode !== null) throw new Error(`server exited: ${out}`);
    await sleep(50);
  }
  child.kill('SIGKILL');
  throw new Error('server did not start in time');
}

async function metric(adminPort: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.slice(name.length + 1)) : NaN;
}

async function settledRss(adminPort: number): Promise<number> {
  await sleep(SETTLE_MS);
  const samples: number[] = [];
  for (let i = 0; i < RSS_SAMPLES; i += 1) {
    samples.push(await metric(adminPort, 'process_resident_memory_bytes'));
    await sleep(200);
  }
  samples.sort((a, b) => a - b);
  return samples[samples.length >> 1] ?? NaN;
}

interface Subscriber {
  service: number;
  call: ClientReadableStream<Update>;
  addrs: number;
  messages: number;
}

async function main(): Promise<void> {
  console.log(`destination-bench (${MODE} source): ${S} services x ${E} endpoints, ${N} streams over ${CONNECTIONS} connections, ${CHANGES} changes`);
  console.log(`host: ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}, node ${process.version}`);
  const endpointCount = new Array<number>(S).fill(E);
  const server = MODE === 'fs' ? await startFsServer() : await startMemoryServer();
  const clients = Array.from(
    { length: CONNECTIONS },
    (_, i) => new DestinationClient(`127.0.0.1:${server.grpcPort}`, credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1, 'bench.connection': i } as never),
  );
  const subscribers: Subscriber[] = [];
  try {
    while ((await fetch(`http://127.0.0.1:${server.adminPort}/ready`)).status !== 200) {
      if (Date.now() > DEADLINE) throw new Error('server never became ready');
      await sleep(50);
    }
    const rssIdle = await settledRss(server.adminPort);

    // Initial snapshots: N streams opened at once; done when each holds every endpoint of its service.
    let complete = 0;
    let onProgress = () => undefined as void;
    const cpuBefore = await metric(server.adminPort, 'process_cpu_seconds_total');
    const clientCpuBefore = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < N; i += 1) {
      const service = i % S;
      const client = clients[i % CONNECTIONS] as DestinationClient;
      const call = client.get({ scheme: 'http', path: `svc-${service}.${NAMESPACE}.svc.cluster.local:80`, contextToken: '' });
      const sub: Subscriber = { service, call, addrs: 0, messages: 0 };
      call.on('data', (u: Update) => {
        sub.messages += 1;
        if (u.update?.$case === 'add') sub.addrs += u.update.value.addrs.length;
        else if (u.update?.$case === 'remove') sub.addrs -= u.update.value.addrs.length;
        if (sub.messages === 1 && sub.addrs === E) complete += 1;
        onProgress();
      });
      call.on('error', () => undefined);
      subscribers.push(sub);
    }
    await new Promise<void>((resolve, reject) => {
      const check = () => {
        if (complete === N) resolve();
        else if (Date.now() > DEADLINE) reject(new Error(`only ${complete}/${N} initial snapshots before the deadline`));
      };
      onProgress = check;
      const timer = setInterval(check, 100);
      check();
      timer.unref();
    });
    const initialMs = performance.now() - t0;
    const serverCpuMs = ((await metric(server.adminPort, 'process_cpu_seconds_total')) - cpuBefore) * 1000;
    const clientCpu = process.cpuUsage(clientCpuBefore);
    const clientCpuMs = (clientCpu.user + clientCpu.system) / 1000;
    onProgress = () => undefined;
    // Per-subscriber memory is read before the change phase, whose garbage would blur it.
    const rssLoaded = await settledRss(server.adminPort);

    // Propagation: change one service at a time (add or drop its last endpoint) and time until every
    // stream of that service has the diff.
    const latencies: number[] = [];
    for (let c = 0; c < CHANGES && Date.now() < DEADLINE; c += 1) {
      const service = (c * 37) % S;
      const target = endpointCount[service] === E ? E + 1 : E;
      endpointCount[service] = target;
      const mine = subscribers.filter((s) => s.service === service);
      const done = new Promise<number>((resolve) => {
        const check = () => {
          if (mine.every((s) => s.addrs === target)) resolve(performance.now());
        };
        onProgress = check;
      });
      const start = performance.now();
      await server.change(service, target);
      const timeout = sleep(Math.max(0, DEADLINE - Date.now())).then(() => NaN);
      const end = await Promise.race([done, timeout]);
      if (Number.isNaN(end)) break;
      latencies.push(end - start);
      await sleep(CHANGE_GAP_MS);
    }
    onProgress = () => undefined;
    const rssAfterChanges = await settledRss(server.adminPort);
    const overflows = await metric(server.adminPort, 'destination_stream_overflows_total{method="get"}');
    latencies.sort((a, b) => a - b);
    const result = {
      date: new Date().toISOString(),
      source: MODE,
      services: S,
      endpoints: E,
      streams: N,
      connections: CONNECTIONS,
      changes: latencies.length,
      initialSnapshotMs: Math.round(initialMs),
      initialServerCpuMs: Math.round(serverCpuMs),
      initialClientCpuMs: Math.round(clientCpuMs),
      propagationP50Ms: Number(percentile(latencies, 50).toFixed(1)),
      propagationP99Ms: Number(percentile(latencies, 99).toFixed(1)),
      propagationMaxMs: Number((latencies[latencies.length - 1] ?? NaN).toFixed(1)),
      rssIdleMiB: Number((rssIdle / 2 ** 20).toFixed(1)),
      rssLoadedMiB: Number((rssLoaded / 2 ** 20).toFixed(1)),
      rssPerSubscriberKiB: Number(((rssLoaded - rssIdle) / N / 1024).toFixed(2)),
      rssAfterChangesMiB: Number((rssAfterChanges / 2 ** 20).toFixed(1)),
      overflows: Number.isNaN(overflows) ? 0 : overflows,
    };
    console.log(`initial snapshot (all ${N} streams complete): ${result.initialSnapshotMs} ms wall; CPU: server ${result.initialServerCpuMs} ms, bench clients ${result.initialClientCpuMs} ms`);
    console.log(`propagation over ${result.changes} changes: p50 ${result.propagationP50Ms} ms, p99 ${result.propagationP99Ms} ms, max ${result.propagationMaxMs} ms`);
    console.log(`server RSS: idle ${result.rssIdleMiB} MiB, with ${N} streams ${result.rssLoadedMiB} MiB -> ${result.rssPerSubscriberKiB} KiB per subscriber (after the changes: ${result.rssAfterChangesMiB} MiB)`);
    console.log(`stream overflows: ${result.overflows}`);
    console.log(JSON.stringify(result));
  } finally {
    for (const s of subscribers) s.call.cancel();
    for (const c of clients) c.close();
    await server.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
