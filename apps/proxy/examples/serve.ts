// `npx nx serve proxy`: the development loop. Starts the destination service on the manifests in
// ./manifests, three demo backends on 127.0.0.21-23:18080, and the proxy (outbound on
// 127.0.0.1:4140), sends a little traffic so that the balancing shows at once, then keeps running
// until Ctrl-C, when every child process is stopped.
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MANIFESTS = fileURLToPath(new URL('./manifests', import.meta.url));
const DEMO_PORT = 18080;
const BACKENDS = [
  { name: 'web-a', host: '127.0.0.21' },
  { name: 'web-b', host: '127.0.0.22' },
  { name: 'web-canary', host: '127.0.0.23' },
];
const OUTBOUND = '127.0.0.1:4140';
const DEMO_REQUESTS = 50;
const START_TIMEOUT_MS = 30_000;
const FLAKY_FAILURE_RATE = 0.3;
const SLOW_RESPONSE_MS = 1_000;

const children: ChildProcess[] = [];
const servers: http.Server[] = [];

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

function startBackend(name: string, host: string): Promise<void> {
  const server = http.createServer((req, res) => {
    if (req.url === '/slow') {
      setTimeout(() => res.end(`${name} (slow)\n`), SLOW_RESPONSE_MS);
      return;
    }
    if (req.url === '/flaky' && Math.random() < FLAKY_FAILURE_RATE) {
      res.statusCode = 500;
      res.end(`${name} failed\n`);
      return;
    }
    res.end(`${name}\n`);
  });
  servers.push(server);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(DEMO_PORT, host, () => resolve());
  });
}

/** Spawns a built app and resolves with its first log line that has msg "listening". */
function spawnApp(name: string, args: string[], env: Record<string, string>): Promise<Record<string, unknown>> {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start in ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
    let buffered = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        if (process.env['SERVE_VERBOSE'] === '1') say(`[${name}] ${line}`);
        if (line.includes('"listening"')) {
          clearTimeout(timer);
          resolve(JSON.parse(line) as Record<string, unknown>);
        }
      }
    });
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}`)));
  });
}

function get(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: 4140, path, headers: { host: 'web.demo' } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(`${res.statusCode} ${body.trim()}`));
    });
    req.on('error', reject);
    req.end();
  });
}

async function stop(): Promise<void> {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  for (const server of servers) server.close();
}

async function main(): Promise<void> {
  for (const b of BACKENDS) await startBackend(b.name, b.host);
  const destination = await spawnApp('destination', ['dist/apps/destination/main.js', '--source', `fs:${MANIFESTS}`, '--grpc-port', '0', '--admin-port', '0', '--listen-host', '127.0.0.1'], {});
  const grpcPort = String(destination['grpcPort']);
  await spawnApp('proxy', ['dist/apps/proxy/main.js'], {
    TRELLIS_OUTBOUND_ADDR: OUTBOUND,
    TRELLIS_DESTINATION_ADDR: `127.0.0.1:${grpcPort}`,
    TRELLIS_POLICY_PORT: String(destination['policyPort']),
    TRELLIS_INBOUND_HOST: '127.0.0.1',
    TRELLIS_APP_HOST: '127.0.0.21',
    USER_PORT: String(DEMO_PORT),
    QUEUE_SERVING_PORT: '0',
    TRELLIS_INBOUND_H2C_PORT: '0',
    TRELLIS_ADMIN_PORT: '0',
    TRELLIS_STATS_PORT: '0',
  });
  const counts = new Map<string, number>();
  for (let i = 0; i < DEMO_REQUESTS; i++) {
    const line = await get('/');
    counts.set(line, (counts.get(line) ?? 0) + 1);
  }
  say(`destination on 127.0.0.1:${grpcPort}, outbound proxy on ${OUTBOUND}, metrics on http://127.0.0.1:9091/metrics`);
  say(`${DEMO_REQUESTS} requests to web.demo (80 % web, 20 % web-canary by the ServiceProfile split):`);
  for (const [line, n] of [...counts].sort()) say(`  ${String(n).padStart(3)} x ${line}`);
  say(`try:  curl -H 'host: web.demo' http://${OUTBOUND}/         (balanced)`);
  say(`      curl -H 'host: web.demo' http://${OUTBOUND}/slow     (504 after the 300 ms route timeout)`);
  say(`      curl -H 'host: web.demo' http://${OUTBOUND}/flaky    (500s retried under the budget)`);
  say(`      curl -x http://${OUTBOUND} http://web.demo/          (absolute form)`);
  say(`edit ${MANIFESTS}/web.yaml to change endpoints, routes or the split; Ctrl-C stops everything.`);
}

process.on('SIGINT', () => void stop().then(() => process.exit(0)));
process.on('SIGTERM', () => void stop().then(() => process.exit(0)));
main().catch((err: unknown) => {
  process.stderr.write(`serve failed: ${err instanceof Error ? err.message : String(err)}\n`);
  void stop().then(() => process.exit(1));
});
