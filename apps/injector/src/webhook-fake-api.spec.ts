import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoreV1Api, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { bundleEntry, fakeKubeconfigYaml, startFakeKubeApi, waitFor, type FakeKubeApiServer } from '@trellis/testing';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The whole admission round-trip: the fake API server holds deploy/'s MutatingWebhookConfiguration (its service
// reference replaced by the injector's loopback URL and caBundle), a real client creates pods, the fake sends the
// AdmissionReview over HTTPS to the real injector process, and the stored pod is what the injector's patch made.

const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.join(here, '..', '..', '..');
const MAIN = path.join(here, 'main.ts');
const BUNDLE = path.join(ROOT, 'dist/test/injector/main.mjs');
const CERT = path.join(here, 'fixtures/test-only-cert.pem');
const KEY = path.join(here, 'fixtures/test-only-key.pem');
// A cold Node.js start on a busy 2-core machine takes seconds.
const START_TIMEOUT_MS = 30_000;

interface Webhook {
  name: string;
  clientConfig: { service?: { path: string }; url?: string; caBundle?: string };
}

/** deploy/'s webhooks, pointed at the injector on loopback and trusting its certificate. */
function webhookConfiguration(port: number) {
  const config = parse(readFileSync(path.join(ROOT, 'deploy/control-plane/injector-webhook.yaml'), 'utf8')) as { metadata: { name: string }; webhooks: Webhook[] };
  for (const w of config.webhooks) {
    w.clientConfig = { url: `https://127.0.0.1:${port}${w.clientConfig.service?.path ?? ''}`, caBundle: readFileSync(CERT).toString('base64') };
  }
  return config;
}

const pod = (name: string, annotations: Record<string, string> = {}): V1Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, annotations },
  spec: { containers: [{ name: 'app', image: 'shop/web', ports: [{ name: 'http', containerPort: 8080 }] }] },
});

const containerNames = (p: V1Pod | undefined) => [...(p?.spec?.initContainers ?? []), ...(p?.spec?.containers ?? [])].map((c) => c.name);

describe('the injector behind the fake API server', () => {
  let injector: ChildProcess;
  let api: FakeKubeApiServer;
  let core: CoreV1Api;

  beforeAll(async () => {
    await bundleEntry(MAIN, BUNDLE);
    injector = spawn(process.execPath, [BUNDLE, '--tls-cert', CERT, '--tls-key', KEY, '--host', '127.0.0.1', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    injector.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    const port = await waitFor(() => /"port":(\d+)/.exec(out)?.[1], { what: 'the injector listening', timeoutMs: START_TIMEOUT_MS, intervalMs: 100 });
    api = await startFakeKubeApi();
    api.create(webhookConfiguration(Number(port)));
    api.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { 'trellis.io/inject': 'enabled' } } });
    api.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'plain' } });
    const kc = new KubeConfig();
    kc.loadFromString(fakeKubeconfigYaml(api.url));
    core = kc.makeApiClient(CoreV1Api);
  }, START_TIMEOUT_MS + 30_000);

  afterAll(async () => {
    await api?.close();
    if (injector && injector.exitCode === null) {
      const exited = new Promise((r) => injector.once('exit', r));
      injector.kill('SIGTERM');
      await exited;
    }
  });

  it('injects the proxy (a native sidecar) into a pod created in a namespace labelled trellis.io/inject: enabled', async () => {
    const created = await core.createNamespacedPod({ namespace: 'shop', body: pod('web-0') });
    expect(containerNames(created)).toEqual(['trellis-proxy', 'app']);
    const stored = api.get({ apiVersion: 'v1', kind: 'Pod', namespace: 'shop', name: 'web-0' }) as V1Pod | undefined;
    expect(stored?.spec?.initContainers?.[0]).toMatchObject({ name: 'trellis-proxy', restartPolicy: 'Always' });
    expect(stored?.metadata?.annotations?.['trellis.io/proxy']).toBeDefined();
  });

  it('injects a pod annotated trellis.io/inject: enabled elsewhere, and leaves other pods alone', async () => {
    const annotated = await core.createNamespacedPod({ namespace: 'plain', body: pod('api-0', { 'trellis.io/inject': 'enabled' }) });
    expect(containerNames(annotated)).toEqual(['trellis-proxy', 'app']);
    const plain = await core.createNamespacedPod({ namespace: 'plain', body: pod('db-0') });
    expect(containerNames(plain)).toEqual(['app']);
    const optedOut = await core.createNamespacedPod({ namespace: 'shop', body: pod('job-0', { 'trellis.io/inject': 'disabled' }) });
    expect(containerNames(optedOut)).toEqual(['app']);
  });
});
