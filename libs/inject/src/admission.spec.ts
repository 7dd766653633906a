import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pod } from 'kubernetes-models/v1/Pod';
import { describe, expect, it } from 'vitest';
import { reviewPod, type JsonPatchOp } from './admission';
import { InjectError } from './errors';

const fixture = (name: string): { request: { uid: string; object: Record<string, unknown> } } =>
  JSON.parse(readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', name), 'utf8'));

/** RFC 6902 `add` (the only operation the webhook emits), applied to a copy. */
function applyAdds(doc: unknown, ops: readonly JsonPatchOp[]): unknown {
  const out = structuredClone(doc) as Record<string, unknown>;
  for (const op of ops) {
    const keys = op.path.split('/').slice(1).map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = keys.pop()!;
    let at: Record<string, unknown> | unknown[] = out;
    for (const k of keys) at = (at as Record<string, unknown>)[k] as Record<string, unknown>;
    if (Array.isArray(at)) at.splice(last === '-' ? at.length : Number(last), 0, op.value);
    else at[last] = op.value;
  }
  return out;
}

function patchOf(response: { patch?: string }): JsonPatchOp[] {
  return JSON.parse(Buffer.from(response.patch!, 'base64').toString('utf8'));
}

describe('reviewPod (AdmissionReview v1)', () => {
  it('patches an annotated pod: the proxy first among the init containers, its labels from the Deployment, a valid Pod', () => {
    const review = fixture('admission-pod-annotated.json');
    const { response } = reviewPod(review, { mode: 'native' });
    expect(response).toMatchObject({ uid: review.request.uid, allowed: true, patchType: 'JSONPatch' });
    const pod = applyAdds(review.request.object, patchOf(response)) as { metadata: { annotations: Record<string, string> }; spec: { initContainers: { name: string; restartPolicy?: string; env: { name: string; value?: string }[] }[] } };
    expect(pod.spec.initContainers.map((c) => c.name)).toEqual(['trellis-proxy', 'migrate']);
    expect(pod.spec.initContainers[0]!.restartPolicy).toBe('Always');
    const env = Object.fromEntries(pod.spec.initContainers[0]!.env.map((e) => [e.name, e.value]));
    expect(env).toMatchObject({ SERVING_CONFIGURATION: 'web', USER_PORT: '3000', CONTAINER_CONCURRENCY: '4', REVISION_TIMEOUT_SECONDS: '60' });
    expect(pod.metadata.annotations['trellis.io/proxy']).toBe('enabled');
    expect(() => new Pod(pod as never).validate()).not.toThrow();
  });

  it('adds a regular container in container mode', () => {
    const review = fixture('admission-pod-annotated.json');
    const ops = patchOf(reviewPod(review, { mode: 'container' }).response);
    const pod = applyAdds(review.request.object, ops) as { spec: { containers: { name: string }[] } };
    expect(pod.spec.containers.map((c) => c.name)).toEqual(['app', 'trellis-proxy']);
    expect(() => new Pod(pod as never).validate()).not.toThrow();
  });

  it('admits a pod that did not opt in unchanged, and patches it when its namespace opted in', () => {
    const review = fixture('admission-pod-not-opted-in.json');
    expect(reviewPod(review, { mode: 'native' }).response).toEqual({ uid: review.request.uid, allowed: true });
    const ops = patchOf(reviewPod(review, { mode: 'native', namespaceEnabled: true }).response);
    expect(ops.map((o) => o.path)).toEqual(['/spec/initContainers', '/spec/volumes', '/metadata/annotations']);
    const pod = applyAdds(review.request.object, ops);
    expect(() => new Pod(pod as never).validate()).not.toThrow();
  });

  it('refuses a pod with an invalid setting, saying which', () => {
    const review = fixture('admission-pod-bad-annotation.json');
    expect(reviewPod(review, { mode: 'native' }).response).toMatchObject({
      allowed: false,
      status: { code: 400, message: expect.stringContaining('trellis.io/container-concurrency: "many"') },
    });
  });

  it('rejects a body that is not an AdmissionReview v1 with a typed error', () => {
    expect(() => reviewPod({ kind: 'AdmissionReview', apiVersion: 'admission.k8s.io/v1beta1', request: { uid: 'x' } }, { mode: 'native' })).toThrow(InjectError);
    expect(() => reviewPod({ kind: 'AdmissionReview', apiVersion: 'admission.k8s.io/v1', request: {} }, { mode: 'native' })).toThrow(/uid/);
  });
});
