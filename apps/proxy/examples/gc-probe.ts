// The outbound role in this process at a fixed concurrency, with its allocation and garbage collections counted:
//   taskset -c 0 node --max-semi-space-size=2 --heap-growing-percent=10 --import tsx apps/proxy/examples/gc-probe.ts
// PROBE_CONNECTIONS (default 1) and PROBE_SECONDS (default 8, at most 60) shape the wrk run (on CPU 1, as the
// bench runs it); TRELLIS_HTTP1_SERVER picks the server. A Node backend on 127.0.0.1 (CPU 1) answers 100 bytes
// (in two writes with PROBE_STREAMED=1).
// Prints wrk's latency lines; how long requests stayed in the process, timed at its sockets (time-in-proxy in
// @trellis/testing; the rest of wrk's latency is spent outside the process), split into the wait on the backend and
// the proxy's own time; and, for the proxy process: CPU µs per request, bytes allocated per request (heap growth
// between collections, from v8.GCProfiler), scavenges and requests per scavenge.
// PROBE_HEAP_SITES=N (N ≤ 100) instead runs V8's sampling heap profiler (objects freed by any GC included) and
// prints the N allocation sites with the most bytes per request: by allocating function, and by the innermost
// function of this repository on the stack. Profiling slows the process: read those rates as shares, not timings.
// PROBE_HEAP_SURVIVORS=1 leaves out the objects a scavenge frees: the sites left are those of objects that outlive a
// scavenge and are promoted, the ones that make scavenges and old-generation collections slow.
// PROBE_HEAP_PROFILE_FILE=<path> also writes the raw profile there (a .heapprofile for Chrome DevTools' Memory tab).
// Run on the bundle to see the code as the proxy ships it (names and lines mapped back through its source map):
//   node tools/scripts/build-app.mjs apps/proxy examples/gc-probe.ts
//   PROBE_HEAP_SITES=30 taskset -c 0 node --max-semi-space-size=2 --heap-growing-percent=10 dist/apps/proxy/gc-probe.js
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { SourceMap, type SourceMapping } from 'node:module';
import { PerformanceObserver, constants, type PerformanceEntry } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';
import { startHarness } from '../src/outbound/testing/harness';
import { formatPercentiles, timeInProxy } from '@trellis/testing/time-in-proxy';

const MAX_SECONDS = 60;
const MAX_SITES = 100;
/** Bytes between samples of the sampling heap profiler (V8's default is 32 KiB; small requests need finer). */
const SAMPLING_INTERVAL_BYTES = 256;
const seconds = Math.min(Number(process.env.PROBE_SECONDS ?? 8), MAX_SECONDS);
const connections = Number(process.env.PROBE_CONNECTIONS ?? 1);
const sites = Math.min(Number(process.env.PROBE_HEAP_SITES ?? 0), MAX_SITES);
const survivorsOnly = process.env.PROBE_HEAP_SURVIVORS === '1';

function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('taskset', ['-c', '1', command, ...args]);
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c));
    child.on('error', reject);
    child.on('close', (status) => (status === 0 ? resolve(out) : reject(new Error(`${command} exited with ${status}`))));
  });
}

type HeapSpaces = v8.GCProfilerResult['statistics'][number]['beforeGC']['heapSpaceStatistics'];

function usedIn(spaces: HeapSpaces, names: readonly string[] | undefined): number {
  let used = 0;
  for (const s of spaces) if (names === undefined || names.includes(s.spaceName)) used += s.spaceUsedSize;
  return used;
}

const YOUNG = ['new_space', 'new_large_object_space'];

/** A scavenge now (V8's gc() extension, which --expose-gc installs; the probe sets the flag itself). */
function minorGc(): void {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as (options: { type: 'minor' }) => void;
  gc({ type: 'minor' });
}

/**
 * Bytes allocated over a profile, in the young generation and in the whole heap (objects V8
 * pretenures go straight to the old generation): the growth between collections, plus the growth
 * since the last one.
 */
function allocatedBytes(stats: v8.GCProfilerResult['statistics'], atStart: HeapSpaces, atEnd: HeapSpaces): { young: number; all: number } {
  const total = { young: 0, all: 0 };
  let last = atStart;
  for (const s of [...stats.map((g) => [g.beforeGC.heapSpaceStatistics, g.afterGC.heapSpaceStatistics] as const), [atEnd, atEnd] as const]) {
    total.young += Math.max(0, usedIn(s[0], YOUNG) - usedIn(last, YOUNG));
    total.all += Math.max(0, usedIn(s[0], undefined) - usedIn(last, undefined));
    last = s[1];
  }
  return total;
}

function heapSpaces(): HeapSpaces {
  return v8.getHeapSpaceStatistics().map((s) => ({
    spaceName: s.space_name,
    spaceSize: s.space_size,
    spaceUsedSize: s.space_used_size,
    spaceAvailableSize: s.space_available_size,
    physicalSpaceSize: s.physical_space_size,
  }));
}

/** The young generation's size (V8 adapts it up to --max-semi-space-size) at the median scavenge, and its range. */
function newSpaceKiB(stats: v8.GCProfilerResult['statistics']): string {
  const sizes = stats
    .filter((s) => s.gcType === 'Scavenge')
    .map((s) => Math.round((s.beforeGC.heapSpaceStatistics.find((h) => h.spaceName === 'new_space')?.spaceSize ?? 0) / 1024))
    .sort((a, b) => a - b);
  return `${sizes[Math.floor(sizes.length / 2)]} (${sizes[0]}-${sizes[sizes.length - 1]})`;
}

/** What the median scavenge left in the young generation (objects still alive, copied): its cost, and space lost to allocation. */
function survivorKiB(stats: v8.GCProfilerResult['statistics']): number {
  const sizes = stats
    .filter((s) => s.gcType === 'Scavenge')
    .map((s) => usedIn(s.afterGC.heapSpaceStatistics, YOUNG) / 1024)
    .sort((a, b) => a - b);
  return Math.round(sizes[Math.floor(sizes.length / 2)] ?? 0);
}

interface SampleNode {
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  selfSize: number;
  children: SampleNode[];
}

function post<T>(session: Session, method: string, params?: object): Promise<T> {
  return new Promise((resolve, reject) => session.post(method, params, (err, result) => (err ? reject(err) : resolve(result as T))));
}

const sourceMaps = new Map<string, SourceMap | null>();

/** The source map next to a bundled file (`<file>.js.map`), or null. */
function sourceMapOf(file: string): SourceMap | null {
  let map = sourceMaps.get(file);
  if (map === undefined) {
    try {
      map = new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8')));
    } catch {
      map = null;
    }
    sourceMaps.set(file, map);
  }
  return map;
}

/** `function file:line`, in the TypeScript source when the frame is in a bundle with a source map. */
function frameName(frame: SampleNode['callFrame']): string {
  const file = frame.url.replace(/^file:\/\//, '');
  const found = file === '' ? undefined : sourceMapOf(file)?.findEntry(frame.lineNumber, frame.columnNumber);
  // @types/node types an entry with no mapping as {}; a mapped one has the SourceMapping fields.
  const entry = found !== undefined && 'originalSource' in found ? (found as SourceMapping) : undefined;
  const where = entry !== undefined ? `${entry.originalSource.replace(/^.*?\/(apps|libs)\//, '$1/')}:${entry.originalLine + 1}` : `${file.replace(`${process.cwd()}/`, '') || '(native)'}:${frame.lineNumber + 1}`;
  return `${frame.functionName || '(anonymous)'} ${where}`;
}

const OURS = /\/(apps|libs)\/|\/dist\/apps\/proxy\/gc-probe\.js$/;

/** Self bytes per allocating frame, and per innermost frame of this repository on the stack. */
function allocationSites(root: SampleNode): { byFrame: Map<string, number>; byOurs: Map<string, number>; total: number } {
  const byFrame = new Map<string, number>();
  const byOurs = new Map<string, number>();
  let total = 0;
  const walk = (node: SampleNode, ours: string) => {
    const here = OURS.test(node.callFrame.url) ? frameName(node.callFrame) : ours;
    if (node.selfSize > 0) {
      total += node.selfSize;
      const frame = frameName(node.callFrame);
      byFrame.set(frame, (byFrame.get(frame) ?? 0) + node.selfSize);
      byOurs.set(here, (byOurs.get(here) ?? 0) + node.selfSize);
    }
    for (const child of node.children) walk(child, here);
  };
  walk(root, '(outside this repository)');
  return { byFrame, byOurs, total };
}

function top(sizes: Map<string, number>, requests: number): string[] {
  return [...sizes]
    .sort((a, b) => b[1] - a[1])
    .slice(0, sites)
    .map(([name, bytes]) => `${String(Math.round(bytes / requests)).padStart(7)} B/req  ${name}`);
}

// With PROBE_STREAMED=1 the backend sends its 100 bytes in two writes, the second a turn later: the proxy then streams the
// body (pipeTo's streaming path) instead of handing over a response that had arrived whole.
const answer = process.env.PROBE_STREAMED === '1' ? `{r.write('x'.repeat(50));setImmediate(()=>r.end('x'.repeat(50)))}` : `r.end('x'.repeat(100))`;
const backendScript = `const s=require('http').createServer((q,r)=>${answer}).listen(0,'127.0.0.1',()=>console.log(s.address().port))`;
const backend = spawn('taskset', ['-c', '1', process.execPath, '-e', backendScript]);
const backendPort = await new Promise<number>((resolve) => backend.stdout.once('data', (c: Buffer) => resolve(Number(c.toString()))));
const h = await startHarness();
// Before the endpoint is known: the outbound role dials it as soon as it is.
const timing = timeInProxy({ listenPort: h.port, backendPort });
h.destination.setEndpoints('web.demo.svc.cluster.local:80', [{ host: '127.0.0.1', port: backendPort }]);
const url = `http://127.0.0.1:${h.port}/`;
await run('wrk', ['-t1', '-c1', '-d2s', '-H', 'Host: web.demo', url]);

const session = new Session();
if (sites > 0) {
  session.connect();
  await post(session, 'HeapProfiler.enable');
  await post(session, 'HeapProfiler.startSampling', {
    samplingInterval: SAMPLING_INTERVAL_BYTES,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: !survivorsOnly,
  });
}
const gcs: Array<{ kind: number; ms: number }> = [];
const observer = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcs.push({ kind: (e as PerformanceEntry & { detail: { kind: number } }).detail.kind, ms: e.duration });
});
observer.observe({ entryTypes: ['gc'] });
timing.reset();
const gcProfiler = new v8.GCProfiler();
const spacesAtStart = heapSpaces();
gcProfiler.start();
const cpuBefore = process.cpuUsage();
const report = await run('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '-H', 'Host: web.demo', url]);
const cpu = process.cpuUsage(cpuBefore);
const spacesAtEnd = heapSpaces();
const gcStats = gcProfiler.stop().statistics;
observer.disconnect();
// Objects still in the young generation when sampling stops count as survivors unless a scavenge frees them first.
if (survivorsOnly) minorGc();
const profile = sites > 0 ? (await post<{ profile: { head: SampleNode } }>(session, 'HeapProfiler.stopSampling')).profile : undefined;
session.disconnect();

const requests = Number(/(\d+) requests in/.exec(report)?.[1] ?? 0);
const allocated = allocatedBytes(gcStats, spacesAtStart, spacesAtEnd);
const perRequest = Math.max(1, requests);
const scavenges = gcs.filter((g) => g.kind === constants.NODE_PERFORMANCE_GC_MINOR).map((g) => g.ms).sort((a, b) => a - b);
timing.stop();
process.stdout.write(`${report.split('\n').filter((l) => /%|requests in/.test(l)).join('\n')}\n`);
const split = timing.summary();
process.stdout.write(`in the proxy, read to answer: ${formatPercentiles(split.inProxy)}\n`);
process.stdout.write(`  of which waiting on the backend: ${formatPercentiles(split.upstream)}\n`);
if (connections === 1) process.stdout.write(`  the proxy's own time: ${formatPercentiles(split.own)}\n`);
process.stdout.write(
  `${JSON.stringify({
    server: process.env.TRELLIS_HTTP1_SERVER ?? 'trellis',
    nodeOptions: process.execArgv.join(' '),
    connections,
    requests,
    cpuMicrosPerRequest: Math.round((cpu.user + cpu.system) / perRequest),
    bytesPerRequest: Math.round(allocated.all / perRequest),
    youngBytesPerRequest: Math.round(allocated.young / perRequest),
    scavenges: scavenges.length,
    requestsPerScavenge: Math.round(requests / Math.max(1, scavenges.length)),
    scavengeMsP50: scavenges[Math.floor(scavenges.length / 2)],
    scavengeMsMax: scavenges[scavenges.length - 1],
    otherGcs: gcs.length - scavenges.length,
    newSpaceKiBAtScavenge: newSpaceKiB(gcStats),
    survivorKiBAfterScavenge: survivorKiB(gcStats),
  })}\n`,
);
if (profile !== undefined) {
  if (process.env.PROBE_HEAP_PROFILE_FILE) writeFileSync(process.env.PROBE_HEAP_PROFILE_FILE, JSON.stringify(profile));
  const { byFrame, byOurs, total } = allocationSites(profile.head);
  process.stdout.write(`sampled ${Math.round(total / perRequest)} B/req\n`);
  process.stdout.write(`by allocating function:\n${top(byFrame, perRequest).join('\n')}\n`);
  process.stdout.write(`by innermost function of this repository:\n${top(byOurs, perRequest).join('\n')}\n`);
}
await h.close();
backend.kill();
