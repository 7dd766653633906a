import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { credentials } from '@grpc/grpc-js';
import { DestinationClient } from '@trellis/proto';
import { bundleEntry } from '@trellis/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamRecorder, addrsOf } from './testing/destination-harness';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
const EXAMPLES = fileURLToPath(new URL('../examples', import.meta.url));
// Bundled once like the real build (third-party packages external, resolved from the repo's node_modules),
// so each spawn starts in about a second instead of compiling TypeScript on a busy machine.
const BUNDLE = fileURLToPath(new URL('../../../dist/test/destination-cli/main.mjs', import.meta.url));
// Node loads @kubernetes/client-node at start: seconds on a busy 2-core machine, hence generous bounds.
const START_TIMEOUT_MS = 45_000;
const PROCESS_TEST_TIMEOUT_MS = 60_000;

beforeAll(async () => {
  await bundleEntry(MAIN, BUNDLE);
});

interface Run {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  exit: Promise<number | null>;
}

const children: ChildProcess[] = [];

function run(args: string[]): Run {
  const child = spawn(process.execPath, [BUNDLE, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const result: Run = { child, stdout: '', stderr: '', exit: new Promise((resolve) => child.on('exit', (code) => resolve(code))) };
  child.stdout?.on('data', (chunk: Buffer) => (result.stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (result.stderr += chunk.toString()));
  return result;
}

async function listening(r: Run): Promise<{ grpcPort: number; adminPort: number }> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const line = r.stdout.split('\n').find((l) => l.includes('"msg":"listening"'));
    if (line) return JSON.parse(line) as { grpcPort: number; adminPort: number };
    if (r.child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no listening line; stdout=${r.stdout} stderr=${r.stderr}`);
}

afterAll(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

describe('destination CLI as a process', () => {
  it('prints help and exits 0', async () => {
    const r = run(['--help']);
    expect(await r.exit).toBe(0);
    expect(r.stdout).toContain('--source kubernetes|fs:<dir>');
  }, PROCESS_TEST_TIMEOUT_MS);

  it('rejects a bad flag with exit code 2 and a clear message', async () => {
    const r = run(['--grpc-port', 'eighty']);
    expect(await r.exit).toBe(2);
    expect(r.stderr).toContain('--grpc-port must be an integer from 0 to 65535, got "eighty"');
    // One clear line, as every Trellis app answers a bad flag.
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  }, PROCESS_TEST_TIMEOUT_MS);

  it('serves on ephemeral ports, logs them, and on SIGTERM ends open streams with OK and exits 0', async () => {
    const r = run(['--source', `fs:${EXAMPLES}`, '--grpc-port', '0', '--admin-port', '0', '--listen-host', '127.0.0.1']);
    const { adminPort, grpcPort } = await listening(r);
    expect(grpcPort).toBeGreaterThan(0);
    let ready = 0;
    for (let i = 0; i < 200 && ready !== 200; i += 1) {
      ready = (await fetch(`http://127.0.0.1:${adminPort}/ready`)).status;
      if (ready !== 200) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(ready).toBe(200);
    const client = new DestinationClient(`127.0.0.1:${grpcPort}`, credentials.createInsecure());
    try {
      const stream = new StreamRecorder(client.get({ scheme: 'http', path: 'web.demo.svc.cluster.local:80', contextToken: '' }));
      expect(addrsOf(await stream.nth(1))).toEqual(['127.0.0.11:8080', '127.0.0.12:8080']);
      r.child.kill('SIGTERM');
      expect(await stream.closed()).toBeUndefined();
      expect(stream.ended).toBe(true);
    } finally {
      client.close();
    }
    expect(await r.exit).toBe(0);
    expect(r.stdout).toContain('"msg":"shutting down"');
  }, PROCESS_TEST_TIMEOUT_MS);
});
