// Benchmark: scrape and decide for many targets per 2 s tick with the real engine (Autoscaler), real HTTP
// scrapes of simulated pods in a child process, and real 1 s / 2 s timers. Prints CPU share of this process and
// decision latency. Usage: autoscaler-bench [--targets 1000] [--pods 1] [--seconds 30] [--warmup 6]
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import type { Actuator } from '../actuator';
import { Autoscaler } from '../autoscaler';
import { AutoscalerMetrics } from '../metrics';
import { createScrapeClient } from '../scrape-client';
import type { TargetView } from '../targets';

const args = new Map<string, number>();
for (let i = 2; i < process.argv.length; i += 2) args.set(String(process.argv[i]).replace(/^--/, ''), Number(process.argv[i + 1]));
const targets = args.get('targets') ?? 1000;
const podsPerTarget = args.get('pods') ?? 1;
const seconds = args.get('seconds') ?? 30;
const warmup = args.get('warmup') ?? 6;
const out = (line: string) => process.stdout.write(`${line}\n`);

const farmScript = fileURLToPath(new URL('./pod-farm.ts', import.meta.url));
const farm = spawn(process.execPath, ['--import', 'tsx', farmScript, String(targets * podsPerTarget)], { stdio: ['ignore', 'pipe', 'inherit'] });
const ports = await new Promise<number[]>((resolve, reject) => {
  let buf = '';
  farm.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    const line = buf.split('\n')[0];
    if (buf.includes('\n') && line !== undefined) resolve((JSON.parse(line) as { ports: number[] }).ports);
  });
  farm.once('exit', (code) => reject(new Error(`pod farm exited with ${code}`)));
});

let actuations = 0;
const actuator: Actuator = { kind: 'fs', scale: async () => void actuations++ };
const scraper = createScrapeClient();
const metrics = new AutoscalerMetrics();
const autoscaler = new Autoscaler({ scrape: scraper.scrape, actuator, metrics, logger: pino({ level: 'silent' }), isLeader: () => true });
const views: TargetView[] = Array.from({ length: targets }, (_, t) => ({
  key: `bench/t${t}`,
  namespace: 'bench',
  name: `t${t}`,
  annotations: { 'autoscaling.knative.dev/class': 'kpa.autoscaling.knative.dev', 'autoscaling.knative.dev/target': '10' },
  containerConcurrency: 0,
  replicas: podsPerTarget,
  createdMs: 0,
  services: [],
  pods: Array.from({ length: podsPerTarget }, (_, p) => ({
    key: `t${t}-p${p}`,
    url: `http://127.0.0.1:${ports[t * podsPerTarget + p]}/metrics`,
    createdMs: 0,
  })),
}));
autoscaler.sync(views);

const decideMs: number[] = [];
const decideCpuMs: number[] = [];
const scrapeMs: number[] = [];
let measuring = false;
const scrapeTimer = setInterval(() => {
  const start = performance.now();
  void autoscaler.scrapeTick().then(() => {
    if (measuring) scrapeMs.push(performance.now() - start);
  });
}, 1000);
const decideTimer = setInterval(() => {
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  autoscaler.decideTick();
  const cpuTick = process.cpuUsage(cpuStart);
  if (measuring) {
    decideMs.push(performance.now() - start);
    decideCpuMs.push((cpuTick.user + cpuTick.system) / 1000);
  }
}, 2000);

await sleep(warmup * 1000);
measuring = true;
const scrapes0 = await targetScrapes();
const cpu0 = process.cpuUsage();
const elu0 = performance.eventLoopUtilization();
const wall0 = performance.now();
await sleep(seconds * 1000);
const wallMs = performance.now() - wall0;
const cpu = process.cpuUsage(cpu0);
const elu = performance.eventLoopUtilization(elu0);
const scrapes = (await targetScrapes()) - scrapes0;
measuring = false;
clearInterval(scrapeTimer);
clearInterval(decideTimer);

const errors = (await metrics.scrapeErrors.get()).values.reduce((sum, v) => sum + v.value, 0);
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};
const cpuMs = (cpu.user + cpu.system) / 1000;
const cpuShare = (cpuMs / wallMs) * 100;
const cpuPerTargetScrapeMs = cpuMs / Math.max(1, scrapes);
// What the nominal cadence costs: every target scraped once per second and decided once per 2 s.
const nominalShare = ((cpuPerTargetScrapeMs * targets) / 1000) * 100;
out(`autoscaler bench: ${targets} targets x ${podsPerTarget} pod(s), ${seconds} s measured after ${warmup} s warm-up, node ${process.version}`);
out(`cpu share of one core (autoscaler process): ${cpuShare.toFixed(1)} % (user ${(cpu.user / 1000).toFixed(0)} ms, system ${(cpu.system / 1000).toFixed(0)} ms)`);
out(`event loop utilization: ${(elu.utilization * 100).toFixed(1)} %`);
out(`target scrapes completed: ${scrapes} (${(scrapes / (wallMs / 1000) / targets).toFixed(2)} per target per second; nominal 1)`);
out(`cpu per target scrape (incl. its share of deciding): ${(cpuPerTargetScrapeMs * 1000).toFixed(0)} us => nominal cadence needs ${nominalShare.toFixed(1)} % of one core`);
out(`decide tick (all targets): n=${decideMs.length} p50 ${pct(decideMs, 50).toFixed(2)} ms, p99 ${pct(decideMs, 99).toFixed(2)} ms, max ${Math.max(...decideMs).toFixed(2)} ms`);
out(`decide tick CPU time (all targets): p50 ${pct(decideCpuMs, 50).toFixed(2)} ms, p99 ${pct(decideCpuMs, 99).toFixed(2)} ms`);
out(`decision latency per target (wall, p50 tick / targets): ${((pct(decideMs, 50) * 1000) / targets).toFixed(1)} us`);
out(`load average at the end (other processes on this machine): ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
out(`scrape tick (all targets): n=${scrapeMs.length} p50 ${pct(scrapeMs, 50).toFixed(1)} ms, p99 ${pct(scrapeMs, 99).toFixed(1)} ms`);
out(`scrape errors: ${errors}; scale requests: ${actuations}`);

await autoscaler.close();
await scraper.close();
farm.kill('SIGTERM');

async function targetScrapes(): Promise<number> {
  const values = (await metrics.scrapeDuration.get()).values;
  return values.find((v) => v.metricName === 'autoscaler_scrape_duration_seconds_count')?.value ?? 0;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
