import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { bundleEntry } from '@trellis/testing';

// The real proxy, bundled once the way `nx build` does, so that it and its cluster workers start quickly.
const MAIN = fileURLToPath(new URL('../../main.ts', import.meta.url));
export const PROXY_BUNDLE = fileURLToPath(new URL('../../../../../dist/test/proxy-process/proxy.mjs', import.meta.url));
const START_TIMEOUT_MS = 30_000;

export async function buildProxy(): Promise<void> {
  await bundleEntry(MAIN, PROXY_BUNDLE);
}

export interface ProxyPorts {
  http: number;
  h2c: number;
  admin: number;
  stats: number;
  metrics: number;
}

export interface ProxyProcess {
  readonly child: ChildProcess;
  readonly ports: ProxyPorts;
  /** The outbound listener's port, when the role is on. */
  readonly outbound: number | undefined;
  output(): string;
  /** SIGKILL unless it already exited; resolves once it has. */
  kill(): Promise<void>;
  exited: Promise<number | null>;
}

/** Every listener on 127.0.0.1 port 0, the outbound role off, unless `env` says otherwise. */
export function proxyEnv(userPort: number, env: Record<string, string> = {}): Record<string, string> {
  return {
    TRELLIS_INBOUND_HOST: '127.0.0.1',
    QUEUE_SERVING_PORT: '0',
    TRELLIS_INBOUND_H2C_PORT: '0',
    TRELLIS_ADMIN_PORT: '0',
    TRELLIS_STATS_PORT: '0',
    TRELLIS_METRICS_PORT: '0',
    TRELLIS_OUTBOUND_ADDR: 'off',
    USER_PORT: String(userPort),
    TRELLIS_DRAIN_QUIET_PERIOD_MS: '200',
    ...env,
  };
}

/** The outbound port from the role's own `outbound listening` line (every worker logs the same). */
function outboundPort(output: string): number | undefined {
  const line = output.split('\n').find((l) => l.includes('"msg":"outbound listening"'));
  const address = line === undefined ? undefined : (JSON.parse(line) as { outbound: string }).outbound;
  return address === undefined ? undefined : Number(address.slice(address.lastIndexOf(':') + 1));
}

/** Spawns the bundled proxy; resolves once it logs its ports (the supervisor logs them once its workers serve). */
export async function spawnProxy(env: Record<string, string>, nodeArgs: string[] = []): Promise<ProxyProcess> {
  const child = spawn(process.execPath, [...nodeArgs, PROXY_BUNDLE], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  const listening = () => {
    for (const line of output.split('\n')) {
      if (!line.includes('"msg":"listening"')) continue;
      return JSON.parse(line) as { ports: ProxyPorts };
    }
    return undefined;
  };
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline && child.exitCode === null) {
    const line = listening();
    if (line !== undefined) return { child, ports: line.ports, outbound: outboundPort(output), output: () => output, kill, exited };
    await new Promise((r) => setTimeout(r, 50));
  }
  await kill();
  throw new Error(`the proxy did not start (exit ${child.exitCode}):\n${output}`);
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request on its own connection (so that each one is a new connection for the supervisor to hand out). */
export function fetchOnce(port: number, path = '/', options: { method?: string; host?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', agent: false, headers: { host: options.host ?? 'localhost' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

export async function fetchJson<T>(port: number, path: string, method = 'GET'): Promise<T> {
  const answer = await fetchOnce(port, path, { method });
  if (answer.status !== 200) throw new Error(`${path} answered ${answer.status}: ${answer.body}`);
  return JSON.parse(answer.body) as T;
}
