import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeKubeApi, type FakeKubeApiServer } from './fake-kube-api-server';

const here = path.dirname(fileURLToPath(import.meta.url));
const cert = readFileSync(path.join(here, 'fixtures/test-only-cert.pem'));
const key = readFileSync(path.join(here, 'fixtures/test-only-key.pem'));

interface Review {
  request: { uid: string; namespace: string; operation: string; object: { metadata: { name: string } } };
}

describe('the fake API server calls mutating webhooks on create', () => {
  let webhook: Server;
  let webhookUrl = '';
  const reviews: Review[] = [];
  let answer: (review: Review) => object;
  let api: FakeKubeApiServer;

  beforeAll(async () => {
    webhook = createServer({ cert, key }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const review = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Review;
        reviews.push(review);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: review.request.uid, ...answer(review) } }));
      });
    });
    await new Promise<void>((r) => webhook.listen(0, '127.0.0.1', r));
    webhookUrl = `https://127.0.0.1:${(webhook.address() as AddressInfo).port}/mutate`;
  });
  afterAll(() => new Promise<void>((r) => webhook.close(() => r())));
  afterEach(async () => {
    reviews.length = 0;
    await api?.close();
  });

  const register = (url: string, failurePolicy: 'Fail' | 'Ignore') =>
    api.create({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      metadata: { name: 'test' },
      webhooks: [
        {
          name: 'label.test.io',
          clientConfig: { url, caBundle: cert.toString('base64') },
          namespaceSelector: { matchExpressions: [{ key: 'mutate', operator: 'In', values: ['yes'] }] },
          rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
          failurePolicy,
        },
      ],
    });
  const createPod = (namespace: string, name: string) =>
    fetch(`${api.url}/api/v1/namespaces/${namespace}/pods`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'app', image: 'app' }] } }),
    });
  const label = { allowed: true, patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify([{ op: 'add', path: '/metadata/labels', value: { mutated: 'true' } }])).toString('base64') };

  it('sends an AdmissionReview over TLS (trusting the caBundle) for a namespace the selector matches, and stores the patched object', async () => {
    api = await startFakeKubeApi();
    api.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'in', labels: { mutate: 'yes' } } });
    register(webhookUrl, 'Fail');
    answer = () => label;
    const created = await createPod('in', 'a');
    expect(created.status).toBe(201);
    expect(((await created.json()) as { metadata: { labels?: object } }).metadata.labels).toEqual({ mutated: 'true' });
    expect(api.get({ apiVersion: 'v1', kind: 'Pod', namespace: 'in', name: 'a' })?.metadata.labels).toEqual({ mutated: 'true' });
    expect(reviews.map((r) => [r.request.operation, r.request.namespace, r.request.object.metadata.name])).toEqual([['CREATE', 'in', 'a']]);

    expect((await createPod('elsewhere', 'b')).status).toBe(201);
    expect(reviews).toHaveLength(1);
  });

  it('rejects what the webhook denies, and a failed call unless failurePolicy is Ignore', async () => {
    api = await startFakeKubeApi();
    api.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'in', labels: { mutate: 'yes' } } });
    register(webhookUrl, 'Fail');
    answer = () => ({ allowed: false, status: { code: 403, message: 'no thanks' } });
    const denied = await createPod('in', 'a');
    expect(denied.status).toBe(403);
    expect(((await denied.json()) as { message: string }).message).toContain('no thanks');

    api.remove({ apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', name: 'test' });
    register('https://127.0.0.1:1/mutate', 'Fail');
    expect((await createPod('in', 'b')).status).toBe(500);
    api.remove({ apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', name: 'test' });
    register('https://127.0.0.1:1/mutate', 'Ignore');
    expect((await createPod('in', 'c')).status).toBe(201);
  });
});
