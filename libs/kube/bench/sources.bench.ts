// Measures both sources with S services of E endpoints each: time to the first sync, and the time
// from a change (file written / API object updated) to the event on endpointSlices.events$ (p50, p99),
// plus the fs source's CPU while idle (its periodic rescans). The fs cases write in place, and YAML also
// atomically (temp file renamed over the target, as the local runner and editors do): each file is
// rewritten CHANGES / S times. Run: npx nx run kube:bench [-- S E CHANGES]
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { createTempDir, startFakeKubeApi, writeFakeKubeconfig } from '@trellis/testing';
import { filter, firstValueFrom } from 'rxjs';
import { stringify } from 'yaml';
import { writeFileAtomic } from '../src/fs/atomic-write';
import { createFsSource } from '../src/fs/fs-source';
import { createKubernetesSource } from '../src/kubernetes/kubernetes-source';
import type { EndpointSlice, Service } from '../src/model';
import type { Source } from '../src/source';

const [services = 100, endpoints = 100, changes = 200] = process.argv.slice(2).map(Number);
const IDLE_SAMPLE_MS = 5000;
// Bound on one change's propagation; its timer also keeps the process alive while the sources' own
// timers and watchers are unref'd.
const CHANGE_TIMEOUT_MS = 10_000;

const print = (line: string) => process.stdout.write(`${line}\n`);

function service(i: number): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name: `svc-${i}`, namespace: 'bench' }, spec: { ports: [{ port: 80, targetPort: 8080 }] } };
}

function slice(i: number, generation: number): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `svc-${i}-0`, namespace: 'bench', labels: { 'kubernetes.io/service-name': `svc-${i}` } },
    addressType: 'IPv4',
    endpoints: Array.from({ length: endpoints }, (_, e) => ({
      addresses: [`10.${i % 250}.${Math.floor(e / 250)}.${(e % 250) + 1}`],
      conditions: { ready: true },
      targetRef: { kind: 'Pod', name: `svc-${i}-pod-${e}-${generation}` },
    })),
    ports: [{ port: 8080 }],
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} not seen within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

async function propagation(source: Source, change: (i: number, n: number) => Promise<void>): Promise<number[]> {
  const times: number[] = [];
  for (let n = 0; n < changes; n++) {
    const i = n % services;
    const seen = firstValueFrom(source.endpointSlices.events$.pipe(filter((e) => e.object.metadata.name === `svc-${i}-0`)));
    const started = performance.now();
    await change(i, n + 1);
    await withTimeout(seen, CHANGE_TIMEOUT_MS, `change ${n + 1} (svc-${i})`);
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b);
}

function report(name: string, syncMs: number, times: number[]): void {
  print(`${name}: first sync ${syncMs.toFixed(0)} ms; change -> event p50 ${percentile(times, 50).toFixed(1)} ms, p99 ${percentile(times, 99).toFixed(1)} ms (${times.length} changes)`);
}

type Format = 'yaml' | 'json';
type Write = 'in place' | 'atomic';

function render(format: Format, i: number, generation: number): string {
  if (format === 'json') return JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [service(i), slice(i, generation)] });
  return `${stringify(service(i))}---\n${stringify(slice(i, generation))}`;
}

async function benchFs(format: Format, write: Write): Promise<void> {
  const dir = await createTempDir('trellis-bench-fs-');
  try {
    for (let i = 0; i < services; i++) await dir.write(`svc-${i}.${format}`, render(format, i, 0));
    const started = performance.now();
    const source = createFsSource(dir.path);
    await firstValueFrom(source.synced$.pipe(filter(Boolean)));
    const syncMs = performance.now() - started;
    const times = await propagation(source, async (i, n) => {
      const text = render(format, i, n);
      if (write === 'atomic') await writeFileAtomic(join(dir.path, `svc-${i}.${format}`), text);
      else await dir.write(`svc-${i}.${format}`, text);
    });
    report(`fs ${format}, ${write} (${services} files, ${endpoints} endpoints each)`, syncMs, times);
    const cpu = process.cpuUsage();
    await new Promise((r) => setTimeout(r, IDLE_SAMPLE_MS));
    const used = process.cpuUsage(cpu);
    print(`fs ${format}, ${write}, idle (rescan every 1 s): ${(((used.user + used.system) / 1000 / IDLE_SAMPLE_MS) * 100).toFixed(2)} % of one core`);
    await source.close();
  } finally {
    await dir.remove();
  }
}

async function benchKubernetes(): Promise<void> {
  const server = await startFakeKubeApi({ token: 'bench' });
  const dir = await createTempDir('trellis-bench-kube-');
  try {
    for (let i = 0; i < services; i++) {
      server.create(service(i));
      server.create(slice(i, 0));
    }
    const kc = new KubeConfig();
    kc.loadFromFile(await writeFakeKubeconfig(dir.path, server.url, 'bench'));
    const started = performance.now();
    const source = createKubernetesSource({ kubeConfig: kc });
    await firstValueFrom(source.synced$.pipe(filter(Boolean)));
    const syncMs = performance.now() - started;
    const times = await propagation(source, async (i, n) => {
      server.update(slice(i, n));
    });
    report(`kubernetes via fake API (${services} slices, ${endpoints} endpoints each)`, syncMs, times);
    await source.close();
  } finally {
    await server.close();
    await dir.remove();
  }
}

await benchFs('yaml', 'in place');
await benchFs('yaml', 'atomic');
await benchFs('json', 'in place');
await benchKubernetes();
