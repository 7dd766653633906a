import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, parse } from 'yaml';
import { InjectError } from './errors';
import { injectManifests } from './inject-manifests';
import type { PodTemplate } from './pod';

const helloYaml = readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../deploy/example/hello.yaml'), 'utf8');

type Workload = { kind: string; metadata: { name: string }; spec: { template: PodTemplate } };

function handWritten(): Workload {
  return parseAllDocuments(helloYaml).map((d) => d.toJS() as Workload).find((o) => o.kind === 'Deployment')!;
}

/** deploy/example's hello without the sidecar that was written by hand (nor its identity volumes). */
function withoutSidecar(): Workload {
  const d = structuredClone(handWritten());
  d.spec.template.spec.containers = d.spec.template.spec.containers.filter((c) => c.name !== 'trellis-proxy');
  delete d.spec.template.spec.volumes;
  delete d.spec.template.metadata!.annotations;
  return d;
}

const job = `
apiVersion: batch/v1
kind: Job
metadata: { name: report, namespace: batch }
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{ name: report, image: batch/report:3 }]
`;

describe('injectManifests', () => {
  it("reproduces deploy/example's hand-written sidecar exactly as a regular container", () => {
    const out = injectManifests(JSON.stringify(withoutSidecar()), { mode: 'container', injectByDefault: true });
    expect(out.reports).toEqual([{ kind: 'Deployment', name: 'hello', injected: true }]);
    expect(parse(out.yaml)).toEqual(handWritten());
  });

  it('adds a native sidecar (an init container that restarts Always) that the Kubernetes schemas accept, to Deployments and Jobs', () => {
    const out = injectManifests(`${JSON.stringify(withoutSidecar())}\n---\n${job}`, { mode: 'native', injectByDefault: true });
    const [deployment, injectedJob] = parseAllDocuments(out.yaml).map((d) => d.toJS() as Workload);
    for (const w of [deployment!, injectedJob!]) {
      const init = w.spec.template.spec.initContainers!;
      expect(init[0]).toMatchObject({ name: 'trellis-proxy', restartPolicy: 'Always' });
      expect(w.spec.template.metadata?.annotations?.['trellis.io/proxy']).toBe('enabled');
    }
    expect(() => new Deployment(deployment as never).validate()).not.toThrow();
    expect(() => new Job(injectedJob as never).validate()).not.toThrow();
    const env = injectedJob!.spec.template.spec.initContainers![0]!.env!;
    expect(env.find((e) => e.name === 'SERVING_CONFIGURATION')?.value).toBe('report');
  });

  it('takes the settings from the annotations and the app container', () => {
    const d = withoutSidecar();
    d.spec.template.metadata = {
      annotations: { 'trellis.io/container-concurrency': '8', 'trellis.io/timeout-seconds': '30', 'trellis.io/app-protocol': 'h2c', 'trellis.io/idle-timeout-seconds': '5' },
    };
    d.spec.template.spec.containers[0]!.ports = [{ name: 'web', containerPort: 3000 }];
    d.spec.template.spec.containers[0]!.readinessProbe = { httpGet: { path: '/healthz', port: 'web' } };
    const out = parse(injectManifests(JSON.stringify(d), { mode: 'native', injectByDefault: true }).yaml) as Workload;
    const env = Object.fromEntries(out.spec.template.spec.initContainers![0]!.env!.map((e) => [e.name, e.value]));
    expect(env).toMatchObject({
      USER_PORT: '3000',
      CONTAINER_CONCURRENCY: '8',
      REVISION_TIMEOUT_SECONDS: '30',
      REVISION_IDLE_TIMEOUT_SECONDS: '5',
      TRELLIS_APP_PROTOCOL: 'h2c',
      SERVING_READINESS_PROBE: '{"httpGet":{"path":"/healthz","port":3000}}',
    });
  });

  it.each([
    ['the pod opts out', (w: Workload) => (w.spec.template.metadata = { annotations: { 'trellis.io/inject': 'disabled' } }), /disabled/],
    ['it already has the proxy', (w: Workload) => w.spec.template.spec.containers.push({ name: 'trellis-proxy' }), /already/],
    ['it uses the host network', (w: Workload) => (w.spec.template.spec.hostNetwork = true), /hostNetwork/],
  ])('leaves a workload alone when %s, and says why', (_why, change, reason) => {
    const d = withoutSidecar();
    change(d);
    const out = injectManifests(JSON.stringify(d), { mode: 'native', injectByDefault: true });
    expect(out.reports[0]).toMatchObject({ injected: false, reason: expect.stringMatching(reason) });
    expect(parse(out.yaml)).toEqual(d);
  });

  it('passes objects without pods through, and refuses bad YAML and bad annotations with a typed error', () => {
    const service = 'apiVersion: v1\nkind: Service\nmetadata: { name: web }\nspec: { ports: [{ port: 80 }] }\n';
    expect(parse(injectManifests(service, { mode: 'native', injectByDefault: true }).yaml)).toEqual(parse(service));
    expect(() => injectManifests('kind: [unclosed', { mode: 'native' })).toThrow(InjectError);
    const d = withoutSidecar();
    d.spec.template.metadata = { annotations: { 'trellis.io/user-port': '99999' } };
    expect(() => injectManifests(JSON.stringify(d), { mode: 'native', injectByDefault: true })).toThrow(/trellis.io\/user-port: "99999"/);
    expect(() => injectManifests('kind: Deployment\nmetadata: { name: x }\nspec: {}\n', { mode: 'native', injectByDefault: true })).toThrow(/no pod template/);
  });
});
