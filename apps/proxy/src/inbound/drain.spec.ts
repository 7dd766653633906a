import { type ChildProcess, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Drain } from './drain';
import { send, until, type Reply } from './testing/harness';
import { startTestApp, type TestApp } from './testing/test-app';

const PROXY_DIR = fileURLToPath(new URL('../..', import.meta.url));
const IN_FLIGHT = 50;
// Long enough that the requests the test sends after SIGTERM arrive well inside it on a busy machine.
const QUIET_PERIOD_MS = 3_000;

interface Spawned {
  child: ChildProcess;
  exit: Promise<number | null>;
  stdout: () => string;
  stderr: () => string;
}

/** Runs the real proxy process (src/main.ts through tsx). */
function spawnProxy(env: Record<string, string>, args: string[] = []): Spawned {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], {
    cwd: PROXY_DIR,
    env: { ...process.env, TRELLIS_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exit, stdout: () => out, stderr: () => err };
}

function listeningPorts(proxy: Spawned): Record<string, number> | undefined {
  for (const line of proxy.stdout().split('\n')) {
    if (!line.includes('"listening"')) continue;
    const parsed = JSON.parse(line) as { msg?: string; ports?: Record<string, number> };
    if (parsed.msg === 'listening') return parsed.ports;
  }
  return undefined;
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}

/** Every listener on 127.0.0.1, port 0; no destination to reach. */
function proxyEnv(appPort: number, quietPeriodMs: number): Record<string, string> {
  return {
    TRELLIS_INBOUND_HOST: '127.0.0.1',
    QUEUE_SERVING_PORT: '0',
    TRELLIS_INBOUND_H2C_PORT: '0',
    TRELLIS_ADMIN_PORT: '0',
    TRELLIS_STATS_PORT: '0',
    TRELLIS_METRICS_PORT: '0',
    USER_PORT: String(appPort),
    REVISION_TIMEOUT_SECONDS: '30',
    TRELLIS_DRAIN_QUIET_PERIOD_MS: String(quietPeriodMs),
    TRELLIS_OUTBOUND_ADDR: '127.0.0.1:0',
    TRELLIS_DESTINATION_ADDR: '127.0.0.1:1',
  };
}

describe('the proxy process', () => {
  const started: Spawned[] = [];
  let app: TestApp | undefined;
  afterAll(async () => {
    for (const proxy of started) if (proxy.child.exitCode === null) proxy.child.kill('SIGKILL');
    await app?.close();
  });

  it('on SIGTERM answers /ready 503 but accepts and serves new connections until the quiet period, then finishes in-flight requests, refuses connections and exits 0', async () => {
    app = await startTestApp();
    const proxy = spawnProxy(proxyEnv(app.port, QUIET_PERIOD_MS));
    started.push(proxy);
    await until(() => listeningPorts(proxy) !== undefined, 20_000, 'the listening line');
    const port = listeningPorts(proxy)?.http ?? 0;
    const admin = listeningPorts(proxy)?.admin ?? 0;

    const replies = Array.from({ length: IN_FLIGHT }, () => send(port, '/slow?ms=1500'));
    // A connection that never sends a byte must not hold the shutdown up.
    const silent = connect({ host: '127.0.0.1', port });
    silent.on('error', () => undefined);
    await until(() => app?.inFlight() === IN_FLIGHT, 10_000, `${IN_FLIGHT} requests in the app`);
    proxy.child.kill('SIGTERM');
    await until(async () => (await send(admin, '/ready')).status === 503, 5_000, '/ready to answer 503');

    // Callers that have not yet learnt of the removal still reach the proxy: each on a new connection, served.
    const during: Reply[] = [];
    for (let i = 0; i < 3; i++) during.push(await send(port, '/'));
    const late = send(port, `/slow?ms=${QUIET_PERIOD_MS + 2_000}`);
    expect(during.map((r) => `${r.status} ${r.body} ${r.headers.connection}`)).toEqual(Array(3).fill('200 hello close'));

    await until(() => refused(port), QUIET_PERIOD_MS + 10_000, 'new connections to be refused after the quiet period');
    const results = await Promise.all(replies);
    expect(results.map((r) => `${r.status} ${r.body}`)).toEqual(Array(IN_FLIGHT).fill('200 done'));
    expect(`${(await late).status} ${(await late).body}`).toBe('200 done');
    expect(await proxy.exit).toBe(0);
    expect(proxy.stdout()).toContain('no request for the quiet period; closing');
    expect(silent.destroyed || silent.readableEnded).toBe(true);
  });

  it('cuts the drain short on a second signal: the request in flight finishes and the process exits 0', async () => {
    const slowApp = await startTestApp();
    try {
      // An hour's quiet period: without the second signal, this drain would last until its 45 s deadline.
      const proxy = spawnProxy(proxyEnv(slowApp.port, 3_600_000));
      started.push(proxy);
      await until(() => listeningPorts(proxy) !== undefined, 20_000, 'the listening line');
      const port = listeningPorts(proxy)?.http ?? 0;
      const admin = listeningPorts(proxy)?.admin ?? 0;
      const reply = send(port, '/slow?ms=1000');
      await until(() => slowApp.inFlight() === 1, 10_000, 'the request in the app');
      proxy.child.kill('SIGTERM');
      await until(async () => (await send(admin, '/ready')).status === 503, 5_000, '/ready to answer 503');
      proxy.child.kill('SIGINT');
      expect(`${(await reply).status} ${(await reply).body}`).toBe('200 done');
      expect(await proxy.exit).toBe(0);
      expect(proxy.stdout()).toContain('second signal: closing without waiting for the quiet period');
    } finally {
      await slowApp.close();
    }
  });

  it('exits 2 naming the variable when a setting is invalid; --help lists the variables with defaults', async () => {
    const bad = spawnProxy({ USER_PORT: 'eighty' });
    const help = spawnProxy({}, ['--help']);
    started.push(bad, help);
    expect(await bad.exit).toBe(2);
    expect(bad.stderr()).toContain('USER_PORT');
    expect(await help.exit).toBe(0);
    for (const name of ['CONTAINER_CONCURRENCY', 'REVISION_TIMEOUT_SECONDS', 'SERVING_READINESS_PROBE', 'TRELLIS_OUTBOUND_ADDR']) {
      expect(help.stdout()).toContain(name);
    }
  });
});

describe('Drain', () => {
  it('gives a drain up at its deadline while requests keep it busy, and resolves once quiet otherwise', async () => {
    const now = () => performance.now();
    const busy = new Drain(60_000, now);
    expect(await busy.waitForDrainWithin(20)).toBe('deadline');
    expect(busy.draining).toBe(true);
    const quiet = new Drain(10, now);
    expect(await quiet.waitForDrainWithin(60_000)).toBe('quiet');
  });
});
