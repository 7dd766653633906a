import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pod } from 'kubernetes-models/v1/Pod';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebhookServer, type WebhookServer } from './webhook-server';

const here = path.dirname(fileURLToPath(import.meta.url));
const cert = readFileSync(path.join(here, 'fixtures/test-only-cert.pem'));
const key = readFileSync(path.join(here, 'fixtures/test-only-key.pem'));
const review = (name: string) => readFileSync(path.join(here, '../../../libs/inject/src/fixtures', name), 'utf8');

function post(port: number, urlPath: string, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: urlPath, method: 'POST', ca: cert, headers: { 'content-type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

interface Op {
  op: string;
  path: string;
  value: unknown;
}

describe('the injection webhook over HTTPS', () => {
  let server: WebhookServer;
  beforeAll(async () => {
    server = await startWebhookServer({ host: '127.0.0.1', port: 0, cert, key, inject: { mode: 'native' }, logger: pino({ level: 'silent' }) });
  });
  afterAll(() => server.close());

  it('answers an AdmissionReview for an annotated pod with a JSON Patch that yields a valid Pod', async () => {
    const res = await post(server.port, '/inject', review('admission-pod-annotated.json'));
    expect(res.status).toBe(200);
    const answer = JSON.parse(res.body);
    expect(answer).toMatchObject({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: '0f6a6b2e-3a47-4f1c-9d3f-7d2b0c9a5e11', allowed: true, patchType: 'JSONPatch' } });
    const ops = JSON.parse(Buffer.from(answer.response.patch, 'base64').toString('utf8')) as Op[];
    expect(ops.map((o) => `${o.op} ${o.path}`)).toEqual(['add /spec/initContainers/0', 'add /spec/volumes', 'add /metadata/annotations/trellis.io~1proxy']);
    const pod = JSON.parse(review('admission-pod-annotated.json')).request.object;
    pod.spec.initContainers.unshift(ops[0]!.value);
    pod.spec.volumes = ops[1]!.value;
    pod.metadata.annotations['trellis.io/proxy'] = ops[2]!.value;
    expect(() => new Pod(pod).validate()).not.toThrow();
  });

  it('patches a pod that did not opt in only on the namespace path', async () => {
    const plain = JSON.parse((await post(server.port, '/inject', review('admission-pod-not-opted-in.json'))).body);
    expect(plain.response).toEqual({ uid: '6b1d2f0e-9c4a-4e55-8a0b-3f1e2d4c5b66', allowed: true });
    const namespaced = JSON.parse((await post(server.port, '/inject-namespace', review('admission-pod-not-opted-in.json'))).body);
    expect(namespaced.response.patchType).toBe('JSONPatch');
  });

  it('refuses a pod with a bad setting, and answers 400 to bodies that are not reviews, without falling over', async () => {
    const refused = JSON.parse((await post(server.port, '/inject', review('admission-pod-bad-annotation.json'))).body);
    expect(refused.response).toMatchObject({ allowed: false, status: { code: 400 } });
    expect(await post(server.port, '/inject', '{not json')).toEqual({ status: 400, body: 'body is not JSON\n' });
    const wrong = await post(server.port, '/inject', JSON.stringify({ kind: 'Pod' }));
    expect(wrong.status).toBe(400);
    expect(wrong.body).toContain('expected an AdmissionReview of admission.k8s.io/v1');
    expect((await post(server.port, '/elsewhere', '{}')).status).toBe(404);
    expect((await post(server.port, '/inject', review('admission-pod-annotated.json'))).status).toBe(200);
  });
});

describe('injector command line', () => {
  const main = path.join(here, 'main.ts');
  const run = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', main, ...args], { encoding: 'utf8', timeout: 20_000 });

  it('prints its usage for --help and rejects an unknown flag or a missing certificate with one line and exit 2', () => {
    const help = run('--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^usage: injector --tls-cert FILE --tls-key FILE/);
    const unknown = run('--bogus');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toBe('injector: unknown flag --bogus (see injector --help)\n');
    const missing = run('--port', '0');
    expect(missing.status).toBe(2);
    expect(missing.stderr).toBe('injector: --tls-cert and --tls-key are required (see injector --help)\n');
  });
});
