import Ajv from 'ajv';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { type Manifest, modelModule, renderKustomization } from './deploy-manifests';

const POLICY_CRDS = [
  'servers.policy.linkerd.io',
  'authorizationpolicies.policy.linkerd.io',
  'meshtlsauthentications.policy.linkerd.io',
  'networkauthentications.policy.linkerd.io',
  'httplocalratelimitpolicies.policy.linkerd.io',
];
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
    for (const kind of POLICY_CRDS) named('CustomResourceDefinition', kind);
    named('Deployment', 'trellis-destination');
    named('Deployment', 'trellis-autoscaler');
    named('Deployment', 'trellis-identity');
    named('Service', 'trellis-identity');
    named('Deployment', 'trellis-injector');
    named('MutatingWebhookConfiguration', 'trellis-injector');
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

  it("validates the policy example's resources against deploy/'s policy.linkerd.io CRDs, and the schemas reject bad ones", () => {
    const crdFor = (kind: string) => manifests.find((m) => m.kind === 'CustomResourceDefinition' && (m.spec as { names: { kind: string } }).names.kind === kind);
    const examples = parseAllDocuments(readFileSync(path.join(repoRoot, 'examples/hello-policy.yaml'), 'utf8')).map((d) => d.toJS() as Manifest);
    expect(examples.map((m) => m.kind).sort()).toEqual(['AuthorizationPolicy', 'HTTPLocalRateLimitPolicy', 'NetworkAuthentication', 'Server']);
    for (const example of examples) {
      const validate = crdSchemaValidator(crdFor(example.kind)!);
      expect(validate(example), `${example.kind}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
    const server = structuredClone(examples.find((m) => m.kind === 'Server')!) as Manifest & { spec: { proxyProtocol: string } };
    server.spec.proxyProtocol = 'HTTP/3';
    expect(crdSchemaValidator(crdFor('Server')!)(server)).toBe(false);
    const limit = structuredClone(examples.find((m) => m.kind === 'HTTPLocalRateLimitPolicy')!) as Manifest & { spec: { total: { requestsPerSecond: number } } };
    limit.spec.total.requestsPerSecond = -5;
    expect(crdSchemaValidator(crdFor('HTTPLocalRateLimitPolicy')!)(limit)).toBe(false);
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

  it('lets the identity service review tokens through system:auth-delegator, and serves Certify on 8080, admin on 9990', () => {
    const binding = named('ClusterRoleBinding', 'trellis-identity-auth-delegator') as Manifest & {
      roleRef: { name: string };
      subjects: { name: string; namespace: string }[];
    };
    expect(binding.roleRef.name).toBe('system:auth-delegator');
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'trellis-identity', namespace: 'trellis-system' }]);
    const service = named('Service', 'trellis-identity') as Manifest & { spec: { ports: { name: string; port: number }[] } };
    expect(service.spec.ports.map((p) => [p.name, p.port])).toEqual([['grpc', 8080], ['admin', 9990]]);
    const volumes = (named('Deployment', 'trellis-identity').spec as {
      template: { spec: { volumes: { secret?: { secretName: string }; configMap?: { name: string } }[] } };
    }).template.spec.volumes;
    expect(volumes.map((v) => v.secret?.secretName ?? v.configMap?.name)).toEqual(['trellis-identity-issuer', 'trellis-identity-trust-roots']);
  });

  it("gives the example proxy a projected token for identity.l5d.io and never the app's API token", () => {
    const hello = named('Deployment', 'hello').spec as {
      template: {
        spec: {
          automountServiceAccountToken: boolean;
          volumes: { name: string; projected?: { sources: { serviceAccountToken?: { audience: string; path: string } }[] } }[];
        };
      };
    };
    expect(hello.template.spec.automountServiceAccountToken).toBe(false);
    const token = hello.template.spec.volumes.find((v) => v.name === 'trellis-identity-token');
    expect(token?.projected?.sources[0]?.serviceAccountToken).toMatchObject({ audience: 'identity.l5d.io', path: 'trellis-identity-token' });
    const proxy = containersOf(named('Deployment', 'hello')).find((c) => c.name === 'trellis-proxy') as {
      env: { name: string; value?: string }[];
      volumeMounts: { name: string; mountPath: string }[];
    };
    const env = Object.fromEntries(proxy.env.map((e) => [e.name, e.value]));
    expect(env.TRELLIS_IDENTITY_TOKEN_FILE).toBe('/var/run/secrets/tokens/trellis-identity-token');
    expect(proxy.volumeMounts).toContainEqual(expect.objectContaining({ name: 'trellis-identity-token', mountPath: '/var/run/secrets/tokens' }));
  });
});
