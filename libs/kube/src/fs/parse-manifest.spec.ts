import { describe, expect, it } from 'vitest';
import { MAX_DOCUMENTS_PER_FILE, MAX_FILE_BYTES, parseManifest } from './parse-manifest';

describe('parseManifest', () => {
  it('reads every document of a multi-document file and fills namespace and apiVersion', () => {
    const result = parseManifest(`
kind: Service
metadata: { name: web }
spec: { ports: [{ port: 80, targetPort: http }] }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: shop }
spec: { replicas: 2 }
---
# an empty document is ignored
`);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.objects.map((o) => [o.kind, o.apiVersion, o.metadata.namespace, o.metadata.name])).toEqual([
      ['Service', 'v1', 'default', 'web'],
      ['Deployment', 'apps/v1', 'shop', 'web'],
    ]);
  });

  it('accepts JSON and kind: List', () => {
    const result = parseManifest(
      JSON.stringify({ kind: 'List', items: [{ kind: 'Pod', metadata: { name: 'p1' } }, { kind: 'Pod', metadata: { name: 'p2' } }] }),
    );
    expect(result.ok && result.objects.map((o) => o.metadata.name)).toEqual(['p1', 'p2']);
  });

  it('reports broken JSON through the YAML parser, which names the position', () => {
    const result = parseManifest('{"kind": "Pod", "metadata": {"name": "p"}\n');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.reason).toMatch(/^YAML error: Flow map must end with a }/);
  });

  it('fails the whole file on a syntax error, naming the document', () => {
    const result = parseManifest('kind: Service\nmetadata: {name: a}\n---\nkind: Service\nmetadata: {name: [b\n');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.reason).toMatch(/^document 2: YAML error/);
  });

  it('fails on a document without kind or metadata.name', () => {
    expect(parseManifest('metadata: {name: a}\n')).toEqual({ ok: false, reason: 'missing kind' });
    expect(parseManifest('kind: Service\nmetadata: {}\n')).toEqual({ ok: false, reason: 'Service: missing metadata.name' });
    expect(parseManifest('- 1\n- 2\n')).toEqual({ ok: false, reason: 'not a mapping' });
  });

  it('skips unknown kinds and keeps the other documents', () => {
    const result = parseManifest('kind: ConfigMap\nmetadata: {name: c}\n---\nkind: Pod\nmetadata: {name: p}\n');
    expect(result).toEqual({
      ok: true,
      objects: [expect.objectContaining({ kind: 'Pod' })],
      skipped: [{ kind: 'ConfigMap', reason: 'document 1: unknown kind ConfigMap (c) skipped' }],
    });
  });

  it('converts v1 Endpoints into EndpointSlices', () => {
    const result = parseManifest(`
kind: Endpoints
metadata: { name: web, namespace: shop }
subsets:
  - addresses: [{ ip: 10.0.0.1, targetRef: { kind: Pod, name: web-1 } }, { ip: "fd00::1" }]
    notReadyAddresses: [{ ip: 10.0.0.2 }]
    ports: [{ name: http, port: 8080 }]
`);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.objects).toEqual([
      expect.objectContaining({
        kind: 'EndpointSlice',
        apiVersion: 'discovery.k8s.io/v1',
        addressType: 'IPv4',
        metadata: expect.objectContaining({
          name: 'web-mirror-0',
          namespace: 'shop',
          labels: expect.objectContaining({ 'kubernetes.io/service-name': 'web' }),
        }),
        endpoints: [
          expect.objectContaining({ addresses: ['10.0.0.1'], conditions: expect.objectContaining({ ready: true }), targetRef: { kind: 'Pod', name: 'web-1' } }),
          expect.objectContaining({ addresses: ['10.0.0.2'], conditions: expect.objectContaining({ ready: false }) }),
        ],
        ports: [{ name: 'http', port: 8080 }],
      }),
      expect.objectContaining({ addressType: 'IPv6', endpoints: [expect.objectContaining({ addresses: ['fd00::1'] })] }),
    ]);
  });

  it('rejects Endpoints whose addresses lack an ip', () => {
    const result = parseManifest('kind: Endpoints\nmetadata: {name: w}\nsubsets: [{addresses: [{hostname: x}]}]\n');
    expect(result).toEqual({ ok: false, reason: 'Endpoints w: subsets.addresses[].ip must be a string' });
  });

  it('enforces the size and document bounds', () => {
    expect(parseManifest(`# ${'x'.repeat(MAX_FILE_BYTES)}\n`)).toEqual({ ok: false, reason: `file larger than ${MAX_FILE_BYTES} bytes` });
    const many = Array.from({ length: MAX_DOCUMENTS_PER_FILE + 1 }, (_, i) => `kind: Pod\nmetadata: {name: p${i}}\n`).join('---\n');
    expect(parseManifest(many)).toEqual({ ok: false, reason: `more than ${MAX_DOCUMENTS_PER_FILE} documents` });
  });

  it('stops alias expansion bombs instead of hanging', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 0; i < 10; i++) lines.push(`${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(', ')}]`);
    const result = parseManifest(`kind: Pod\nmetadata: {name: p}\nspec:\n${lines.map((l) => `  ${l}`).join('\n')}\n`);
    expect(result.ok).toBe(false);
  });
});
