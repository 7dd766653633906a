import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { authorityOf, meshManifests } from './mesh-manifests';

describe('meshManifests', () => {
  const docs = parseAllDocuments(meshManifests([{ name: 'backend-h1', port: 40001 }, { name: 'backend-h2', port: 40002, appProtocol: 'kubernetes.io/h2c' }])).map((d) => d.toJS());

  it('writes a Service and an EndpointSlice per backend', () => {
    expect(docs.map((d) => `${d.kind}/${d.metadata.name}`)).toEqual([
      'Service/backend-h1',
      'EndpointSlice/backend-h1-bench',
      'Service/backend-h2',
      'EndpointSlice/backend-h2-bench',
    ]);
  });

  it('links each slice to its Service and names one ready loopback endpoint on the backend port', () => {
    const slice = docs[1];
    expect(slice.metadata.labels['kubernetes.io/service-name']).toBe('backend-h1');
    expect(slice.ports).toEqual([{ name: 'http', port: 40001, protocol: 'TCP' }]);
    expect(slice.endpoints).toEqual([{ addresses: ['127.0.0.1'], conditions: { ready: true } }]);
    expect(docs[0].spec.ports[0]).toMatchObject({ port: 80, targetPort: 40001 });
  });

  it('carries the app protocol when given', () => {
    expect(docs[3].ports[0].appProtocol).toBe('kubernetes.io/h2c');
    expect(docs[2].spec.ports[0].appProtocol).toBe('kubernetes.io/h2c');
    expect(docs[1].ports[0].appProtocol).toBeUndefined();
  });
});

describe('authorityOf', () => {
  it('is the cluster-local name with the service port', () => {
    expect(authorityOf('backend-h1')).toBe('backend-h1.bench.svc.cluster.local:80');
  });
});

describe('meshManifests with a meshed pod', () => {
  const docs = parseAllDocuments(meshManifests([{ name: 'backend-h1', port: 40001, meshedPod: 'inbound-h1' }, { name: 'backend-h2', port: 40002 }])).map((d) => d.toJS());

  it('adds the Pod, annotated as running the proxy, with the default ServiceAccount and a loopback IP', () => {
    expect(docs.map((d) => `${d.kind}/${d.metadata.name}`)).toEqual(['Service/backend-h1', 'EndpointSlice/backend-h1-bench', 'Pod/inbound-h1', 'Service/backend-h2', 'EndpointSlice/backend-h2-bench']);
    const pod = docs[2];
    expect(pod.metadata).toMatchObject({ namespace: 'bench', annotations: { 'trellis.io/proxy': 'enabled' } });
    expect(pod.spec.serviceAccountName).toBe('default');
    expect(pod.status.podIP).toBe('127.0.0.1');
  });

  it('points the endpoint at its Pod by name, and leaves an unmeshed endpoint without one', () => {
    expect(docs[1].endpoints[0].targetRef).toEqual({ kind: 'Pod', name: 'inbound-h1', namespace: 'bench' });
    expect(docs[4].endpoints[0].targetRef).toBeUndefined();
  });
});
