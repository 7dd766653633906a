// Proxyless client benchmark (issue 19): the same closed-loop HTTP/1.1 load, in the same run, sent
// - direct: an undici Pool straight to one backend (no discovery, no balancing: the floor),
// - client: @trellis/client's TrellisAgent, resolving web.bench.svc.cluster.local through the real destination
//   service and balancing each request over the backends in this process,
// - proxy: an undici Pool to the real Trellis proxy's outbound listener (Host: web.bench.svc.cluster.local),
//   which resolves and balances the same way one hop away.
// Backends (one HTTP server per 127.0.0.N, 100-byte answers) run in their own process; the destination service and the
// proxy in theirs (bundled as `nx build` does). Rounds interleave the variants (rotated); figures are medians.
// Reports throughput at --concurrency and p50/p99 latency at concurrency 1, with the latency each adds to direct.
// Usage: client-bench [--duration-s 5] [--rounds 3] [--concurrency 50] [--endpoints 3]
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { TrellisAgent } from '@trellis/client';
import { bundleEntry } from '@trellis/testing';
import { Registry } from 'prom-client';
import { Pool, request, type Dispatcher } from 'undici';
import { freePort } from './proxy/processes';
import { median, rotate } from './proxy/stats';
import { trellisProxyEnv } from './proxy/trellis-env';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const DESTINATION_BUNDLE = join(ROOT, 'dist/bench/client/destination.mjs');
const PROXY_BUNDLE = join(ROOT, 'dist/bench/client/proxy.mjs');
const AUTHORITY = 'web.bench.svc.cluster.local';
/** Bounds of every load loop, whatever the flags say. */
const MAX_REQUESTS_PER_LOOP = 2_000_000;
const MAX_DURATION_S = 60;
const START_TIMEOUT_MS = 20_000;
const WARMUP_MS = 1_000;
const LATENCY_CONCURRENCY = 1;
const BODY_BYTES = 100;

const { values: flags } = parseArgs({
  options: {
    'duration-s': { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '50' },
    endpoints: { type: 'string', default: '3' },
  },
});

function positive(name: string, value: string | undefined, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) {
    console.error(`client-bench: --${name} must be an integer in 1..${max}, got ${value}`);
    process.exit(2);
  }
  return n;
}

const durationMs = positive('duration-s', flags['duration-s'], MAX_DURATION_S) * 1000;
const rounds = positive('rounds', flags.rounds, 20);
const concurrency = positive('concurrency', flags.concurrency, 1_000);
const endpoints = positive('endpoints', flags.endpoints, 20);

const BACKENDS_SCRIPT = `
import http from 'node:http';
const [port, ...hosts] = process.argv.slice(1);
const body = Buffer.alloc(${BODY_BYTES}, 'x');
for (const host of hosts) http.createServer((req, res) => { req.resume(); res.end(body); }).listen(Number(port), host);
console.log('listening');
`;

function manifests(port: number): string {
  const ips = Array.from({ length: endpoints }, (_, i) => `127.0.0.${i + 2}`);
  return `apiVersion: v1
kind: Service
metadata: { name: web, namespace: bench }
spec:
  ports: [{ name: http, port: 80, targetPort: ${port} }]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: web-1, namespace: bench, labels: { kubernetes.io/service-name: web } }
addressType: IPv4
ports: [{ name: http, port: ${port} }]
endpoints:
${ips.map((ip) => `  - addresses: ["${ip}"]`).join('\n')}
`;
}

function start(args: string[], env: NodeJS.ProcessEnv, ready: (out: string) => boolean): Promise<ChildProcess> {
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args[0]} did not start: ${out.slice(-500)}`)), START_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      if (ready(out)) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${args[0]} exited (${code}): ${out.slice(-500)}`)));
  });
}

async function waitForPort(port: number): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const up = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(true)).once('error', () => resolve(false));
      s.once('connect', () => s.destroy());
    });
    if (up) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on 127.0.0.1:${port}`);
}

interface Run {
  rps: number;
  latenciesMs: number[];
  failures: number;
}

/** A closed loop: `workers` callers, each sending its next request when the last one ends, for `ms`. */
async function load(send: () => Promise<number>, workers: number, ms: number): Promise<Run> {
  const latenciesMs: number[] = [];
  let failures = 0;
  let sent = 0;
  const started = performance.now();
  const deadline = started + ms;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (performance.now() < deadline && sent < MAX_REQUESTS_PER_LOOP) {
        sent += 1;
        const t = performance.now();
        const status = await send().catch(() => 0);
        if (status === 200) latenciesMs.push(performance.now() - t);
        else failures += 1;
      }
    }),
  );
  return { rps: latenciesMs.length / ((performance.now() - started) / 1000), latenciesMs, failures };
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

async function get(dispatcher: Dispatcher, origin: string, host?: string): Promise<number> {
  const res = await request(`${origin}/`, { dispatcher, ...(host === undefined ? {} : { headers: { host } }) });
  await res.body.dump();
  return res.statusCode;
}

async function main(): Promise<void> {
  await bundleEntry(join(ROOT, 'apps/destination/src/main.ts'), DESTINATION_BUNDLE);
  await bundleEntry(join(ROOT, 'apps/proxy/src/main.ts'), PROXY_BUNDLE);
  const dir = await mkdtemp(join(os.tmpdir(), 'trellis-client-bench-'));
  const children: ChildProcess[] = [];
  const stopAll = () => children.forEach((c) => c.kill('SIGKILL'));
  process.once('exit', stopAll);
  try {
    const backendPort = await freePort();
    const hosts = Array.from({ length: endpoints }, (_, i) => `127.0.0.${i + 2}`);
    children.push(await start(['--input-type=module', '-e', BACKENDS_SCRIPT, String(backendPort), ...hosts], process.env, (o) => o.includes('listening')));
    await writeFile(join(dir, '.web.tmp'), manifests(backendPort));
    await rename(join(dir, '.web.tmp'), join(dir, 'web.yaml'));
    const destinationPort = await freePort();
    children.push(
      await start(
        [DESTINATION_BUNDLE, '--source', `fs:${dir}`, '--grpc-port', String(destinationPort), '--admin-port', '0', '--listen-host', '127.0.0.1'],
        process.env,
        (o) => o.includes('"msg":"listening"'),
      ),
    );
    const ports = { outbound: await freePort(), inboundHttp: await freePort(), inboundH2c: await freePort(), admin: await freePort(), stats: await freePort(), metrics: await freePort() };
    children.push(spawn(process.execPath, [PROXY_BUNDLE], { env: { ...process.env, ...trellisProxyEnv({ ports, destinationPort, userPort: await freePort() }), TRELLIS_LOG_LEVEL: 'warn' }, stdio: 'ignore' }));
    await waitForPort(ports.outbound);

    const direct = new Pool(`http://127.0.0.2:${backendPort}`);
    const agent = new TrellisAgent({ destination: `127.0.0.1:${destinationPort}`, registry: new Registry() });
    const proxy = new Pool(`http://127.0.0.1:${ports.outbound}`);
    const variants = [
      { id: 'direct', send: () => get(direct, `http://127.0.0.2:${backendPort}`) },
      { id: 'client', send: () => get(agent, `http://${AUTHORITY}`) },
      { id: 'proxy', send: () => get(proxy, `http://127.0.0.1:${ports.outbound}`, AUTHORITY) },
    ];
    const results = new Map(variants.map((v) => [v.id, { rps: [] as number[], p50: [] as number[], p99: [] as number[], failures: 0 }]));
    for (const v of variants) await load(v.send, concurrency, WARMUP_MS);
    console.log(`client-bench: ${endpoints} endpoints, c=${concurrency} for ${durationMs / 1000} s and c=1 for ${durationMs / 1000} s, ${rounds} rounds; load average ${os.loadavg()[0]?.toFixed(1)}`);
    for (let round = 0; round < rounds; round++) {
      for (const v of rotate(variants, round)) {
        const r = results.get(v.id)!;
        const busy = await load(v.send, concurrency, durationMs);
        const quiet = await load(v.send, LATENCY_CONCURRENCY, durationMs);
        r.rps.push(busy.rps);
        r.p50.push(quantile(quiet.latenciesMs, 0.5));
        r.p99.push(quantile(quiet.latenciesMs, 0.99));
        r.failures += busy.failures + quiet.failures;
        console.log(`  round ${round + 1} ${v.id}: ${busy.rps.toFixed(0)} req/s, c=1 p50 ${quantile(quiet.latenciesMs, 0.5).toFixed(3)} ms`);
      }
    }
    const base = results.get('direct')!;
    console.log(`\n| variant | req/s at c=${concurrency} | × direct | p50 / p99 at c=1 | added p50 / p99 | failed |`);
    console.log('|---|---:|---:|---:|---:|---:|');
    for (const v of variants) {
      const r = results.get(v.id)!;
      const added = v.id === 'direct' ? '—' : `+${(median(r.p50) - median(base.p50)).toFixed(3)} / +${(median(r.p99) - median(base.p99)).toFixed(3)} ms`;
      console.log(
        `| ${v.id} | ${median(r.rps).toFixed(0)} | ${(median(r.rps) / median(base.rps)).toFixed(2)}× | ${median(r.p50).toFixed(3)} / ${median(r.p99).toFixed(3)} ms | ${added} | ${r.failures} |`,
      );
    }
    console.log(`load average at the end ${os.loadavg()[0]?.toFixed(1)}`);
    await Promise.all([direct.close(), agent.close(), proxy.close()]);
  } finally {
    stopAll();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err: Error) => {
  console.error(`client-bench: ${err.message}`);
  process.exitCode = 1;
});
