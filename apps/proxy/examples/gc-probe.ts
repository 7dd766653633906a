// The outbound role in this process at a fixed concurrency, with its garbage collections counted:
//   taskset -c 0 node --max-semi-space-size=2 --heap-growing-percent=10 --import tsx apps/proxy/examples/gc-probe.ts
// PROBE_CONNECTIONS (default 1) and PROBE_SECONDS (default 8, at most 60) shape the wrk run (on CPU 1, as the
// bench runs it); TRELLIS_HTTP1_SERVER picks the server. A Node backend on 127.0.0.1 (CPU 1) answers 100 bytes.
// Prints wrk's latency lines and, for the proxy process: CPU µs per request, scavenges and requests per scavenge.
import { spawn } from 'node:child_process';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { startHarness } from '../src/outbound/testing/harness';

const MAX_SECONDS = 60;
const seconds = Math.min(Number(process.env.PROBE_SECONDS ?? 8), MAX_SECONDS);
const connections = Number(process.env.PROBE_CONNECTIONS ?? 1);

function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('taskset', ['-c', '1', command, ...args]);
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c));
    child.on('error', reject);
    child.on('close', (status) => (status === 0 ? resolve(out) : reject(new Error(`${command} exited with ${status}`))));
  });
}

const backendScript = `const s=require('http').createServer((q,r)=>r.end('x'.repeat(100))).listen(0,'127.0.0.1',()=>console.log(s.address().port))`;
const backend = spawn('taskset', ['-c', '1', process.execPath, '-e', backendScript]);
const backendPort = await new Promise<number>((resolve) => backend.stdout.once('data', (c: Buffer) => resolve(Number(c.toString()))));
const h = await startHarness();
h.destination.setEndpoints('web.demo.svc.cluster.local:80', [{ host: '127.0.0.1', port: backendPort }]);
const url = `http://127.0.0.1:${h.port}/`;
await run('wrk', ['-t1', '-c1', '-d2s', '-H', 'Host: web.demo', url]);

const gcs: Array<{ kind: number; ms: number }> = [];
const observer = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcs.push({ kind: (e.detail as { kind: number }).kind, ms: e.duration });
});
observer.observe({ entryTypes: ['gc'] });
const cpuBefore = process.cpuUsage();
const report = await run('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '-H', 'Host: web.demo', url]);
const cpu = process.cpuUsage(cpuBefore);
observer.disconnect();

const requests = Number(/(\d+) requests in/.exec(report)?.[1] ?? 0);
const scavenges = gcs.filter((g) => g.kind === constants.NODE_PERFORMANCE_GC_MINOR).map((g) => g.ms).sort((a, b) => a - b);
process.stdout.write(`${report.split('\n').filter((l) => /%|requests in/.test(l)).join('\n')}\n`);
process.stdout.write(
  `${JSON.stringify({
    server: process.env.TRELLIS_HTTP1_SERVER ?? 'trellis',
    nodeOptions: process.execArgv.join(' '),
    connections,
    requests,
    cpuMicrosPerRequest: Math.round((cpu.user + cpu.system) / Math.max(1, requests)),
    scavenges: scavenges.length,
    requestsPerScavenge: Math.round(requests / Math.max(1, scavenges.length)),
    scavengeMsP50: scavenges[Math.floor(scavenges.length / 2)],
    scavengeMsMax: scavenges[scavenges.length - 1],
    otherGcs: gcs.length - scavenges.length,
  })}\n`,
);
await h.close();
backend.kill();
