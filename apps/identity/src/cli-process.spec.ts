import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatIdentity, signLocalToken, systemClock } from '@trellis/identity';
import { bundleEntry, createTempDir, type TempDir } from '@trellis/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callCertify, createTestPki, csrFor, identityClient } from './testing/identity-harness';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
// Bundled once like the real build, so each spawn starts in about a second on a busy machine.
const BUNDLE = fileURLToPath(new URL('../../../dist/test/identity-cli/main.mjs', import.meta.url));
const START_TIMEOUT_MS = 45_000;
const PROCESS_TEST_TIMEOUT_MS = 60_000;
const KEY = 'k'.repeat(40);

interface Run {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  exit: Promise<number | null>;
}

const children: ChildProcess[] = [];
let dir: TempDir;
let files: { cert: string; key: string; anchors: string; tokenKey: string; anchorPem: string };

beforeAll(async () => {
  await bundleEntry(MAIN, BUNDLE);
  dir = await createTempDir('trellis-identity-cli-');
  const pki = await createTestPki();
  files = {
    cert: join(dir.path, 'issuer.crt'),
    key: join(dir.path, 'issuer.key'),
    anchors: join(dir.path, 'anchors.crt'),
    tokenKey: join(dir.path, 'token.key'),
    anchorPem: pki.anchor.certificatePem,
  };
  await writeFile(files.cert, pki.issuer.certificatePem);
  await writeFile(files.key, pki.issuer.keyPem);
  await writeFile(files.anchors, pki.anchor.certificatePem);
  await writeFile(files.tokenKey, `${KEY}\n`);
});

afterAll(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  await dir?.remove();
});

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

const localFlags = () => [
  '--issuer-certificate', files.cert, '--issuer-key', files.key, '--trust-anchors', files.anchors,
  '--token-validator', 'local', '--local-token-key', files.tokenKey, '--listen-host', '127.0.0.1',
];

describe('identity CLI as a process', () => {
  it('prints help and exits 0', async () => {
    const r = run(['--help']);
    expect(await r.exit).toBe(0);
    expect(r.stdout).toContain('--issuer-certificate <file>');
  });

  it('exits 2 with a clear message on a bad flag', async () => {
    const r = run(['--grpc-port', 'eighty']);
    expect(await r.exit).toBe(2);
    expect(r.stderr).toContain('identity: --grpc-port must be an integer');
  });

  it('exits 2 naming the flag when an issuer file is missing or does not fit', async () => {
    const missing = run([...localFlags(), '--issuer-key', join(dir.path, 'nope.key')]);
    expect(await missing.exit).toBe(2);
    expect(missing.stderr).toContain('--issuer-key');
    const mismatched = run([...localFlags(), '--trust-anchors', files.cert]);
    expect(await mismatched.exit).toBe(2);
    expect(mismatched.stderr).toContain('the issuer files are unusable');
  });

  it(
    'serves Certify with local tokens and stops on SIGTERM',
    async () => {
      const r = run([...localFlags(), '--grpc-port', '0', '--admin-port', '0', '--certificate-lifetime', '1h']);
      const { grpcPort } = await listening(r);
      const client = identityClient(grpcPort, files.anchorPem);
      const identity = formatIdentity({ serviceAccount: 'web', namespace: 'shop' });
      const token = await signLocalToken({ namespace: 'shop', serviceAccount: 'web' }, { key: Buffer.from(KEY), clock: systemClock });
      const outcome = await callCertify(client, { identity, token, csr: await csrFor(identity) });
      client.close();
      if (!outcome.ok) throw outcome.error;
      const leaf = new X509Certificate(outcome.response.leafCertificate);
      expect(leaf.subjectAltName).toBe(`DNS:${identity}`);
      const issuer = new X509Certificate(outcome.response.intermediateCertificates[0]!);
      expect(issuer.checkIssued(new X509Certificate(files.anchorPem))).toBe(true);
      r.child.kill('SIGTERM');
      expect(await r.exit).toBe(0);
    },
    PROCESS_TEST_TIMEOUT_MS,
  );
});
