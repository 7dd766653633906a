import Ajv from 'ajv';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Manifest, modelModule, renderKustomization } from './deploy-manifests';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

interface Validatable {
  validate(): void;
}
type ModelClass = new (data: unknown) => Validatable;

async function validateBuiltIn(manifest: Manifest): Promise<void> {
  const module = modelModule(manifest.apiVersion, manifest.kind);
  if (!module) throw new Error(`${manifest.apiVersion} ${manifest.kind} is not a built-in kind`);
  const exports = (await import(module)) as Record<string, ModelClass>;
  const Model = exports[manifest.kind];
  if (!Model) throw new Error(`no schema for ${manifest.kind} in ${module}`);
  new Model(manifest).validate();
}

function crdSchemaValidator(crd: Manifest) {
  const spec = crd.spec as { versions: { name: string; schema: { openAPIV3Schema: object } }[] };
  const schema = JSON.parse(JSON.stringify(spec.versions[0]?.schema.openAPIV3Schema), (key, value) =>
    key.startsWith('x-kubernetes-') ? undefined : value,
  );
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && Math.abs(n) < 2 ** 31 });
  ajv.addFormat('float', { type: 'number', validate: (n: number) => Number.isFinite(n) });
  return ajv.compile(schema);
}

function containersOf(manifest: Manifest): Record<string, unknown>[] {
  const template = (manifest.spec as { template: { spec: { containers: Record<string, unknown>[] } } }).template;
  return template.spec.containers;
}

describe('deploy/ (kubectl apply -k deploy)', () => {
  let manifests: Manifest[];
  beforeAll(() => {
    manifests = renderKustomization(repoRoot);
  });

  const named = (kind: string, name: string) => {
    const found = manifests.find((m) => m.kind === kind && m.metadata.name === name);
    if (!found) throw new Error(`${kind}/${name} missing from deploy/`);
    return found;
  };

  it('renders the namespace, CRD, RBAC, control plane and example app', () => {
    named('Namespace', 'trellis-system');
    named('CustomResourceDefinition', 'serviceprofiles.linkerd.io');
    named('Deployment', 'trellis-destination');
    named('Deployment', 'trellis-autoscaler');
    named('Deployment', 'hello');
    named('ServiceProfile', 'hello.trellis-demo.svc.cluster.local');
  });

  it('validates every built-in object against the Kubernetes schemas', async () => {
    const builtIns = manifests.filter((m) => modelModule(m.apiVersion, m.kind));
    expect(builtIns.length).toBeGreaterThan(10);
    for (const manifest of builtIns) {
      await expect(validateBuiltIn(manifest), `${manifest.kind}/${manifest.metadata.name}`).resolves.toBeUndefined();
    }
  });

  it('rejects an object that breaks the schema', async () => {
    const broken = structuredClone(named('Deployment', 'hello'));
    (broken.spec as { replicas: unknown }).replicas = 'two';
    await expect(validateBuiltIn(broken)).rejects.toThrow(/replicas/);
  });

  it('validates every ServiceProfile against the CRD schema, and the schema rejects a bad one', () => {
    const validate = crdSchemaValidator(named('CustomResourceDefinition', 'serviceprofiles.linkerd.io'));
    const profiles = manifests.filter((m) => m.kind === 'ServiceProfile');
    for (const profile of profiles) expect(validate(profile), JSON.stringify(validate.errors)).toBe(true);
    const broken = structuredClone(profiles[0]) as Manifest & { spec: { routes: { timeout: string }[] } };
    broken.spec.routes[0]!.timeout = 'soon';
    expect(validate(broken)).toBe(false);
  });

  it('gives the destination service read-only access', () => {
    const role = named('ClusterRole', 'trellis-destination') as Manifest & { rules: { verbs: string[] }[] };
    const verbs = new Set(role.rules.flatMap((r) => r.verbs));
    expect([...verbs].sort()).toEqual(['get', 'list', 'watch']);
  });

  it('lets the autoscaler write only the scale subresource and leases', () => {
    const role = named('ClusterRole', 'trellis-autoscaler') as Manifest & {
      rules: { resources: string[]; verbs: string[] }[];
    };
    for (const rule of role.rules) {
      const writes = rule.verbs.filter((v) => !['get', 'list', 'watch'].includes(v));
      if (writes.length > 0) expect(rule.resources).toEqual(['deployments/scale']);
    }
  });

  it('runs every container non-root with a read-only root filesystem', () => {
    for (const deployment of manifests.filter((m) => m.kind === 'Deployment')) {
      const podSecurity = (deployment.spec as { template: { spec: { securityContext?: { runAsNonRoot?: boolean } } } })
        .template.spec.securityContext;
      expect(podSecurity?.runAsNonRoot, deployment.metadata.name).toBe(true);
      for (const container of containersOf(deployment)) {
        const security = container.securityContext as { readOnlyRootFilesystem?: boolean } | undefined;
        expect(security?.readOnlyRootFilesystem, `${deployment.metadata.name}/${container.name}`).toBe(true);
      }
    }
  });

  it('drains the example sidecar before stopping and probes readiness through the proxy', () => {
    const proxy = containersOf(named('Deployment', 'hello')).find((c) => c.name === 'trellis-proxy') as {
      lifecycle: { preStop: { httpGet: { path: string } } };
      readinessProbe: { httpGet: { port: string; httpHeaders: { name: string; value: string }[] } };
    };
    expect(proxy.lifecycle.preStop.httpGet.path).toBe('/wait-for-drain');
    expect(proxy.readinessProbe.httpGet.httpHeaders).toContainEqual({ name: 'K-Network-Probe', value: 'queue' });
  });
});
