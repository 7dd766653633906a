// `npx nx run local:identity-certs -- --out DIR`: creates a trust anchor and an issuer for the identity service and
// writes them as PEM files plus the Kubernetes Secret and ConfigMaps that deploy/ mounts (`kubectl apply -f DIR`).
import { parseArgs } from 'node:util';
import { isDns1123Label, isDns1123Subdomain } from '@trellis/identity';
import { DEFAULT_TRUST_ROOT_NAMESPACES, writeIdentityPki } from './identity/pki';

const USAGE = `usage: npx nx run local:identity-certs -- --out DIR [flags]
  --out DIR                   folder to write (created; keys are written 0600)
  --trust-domain DOMAIN       trust domain (default cluster.local)
  --namespace NS              namespace of the identity service and its issuer Secret (default trellis-system)
  --trust-root-namespaces A,B namespaces that get the trust anchor ConfigMap (default ${DEFAULT_TRUST_ROOT_NAMESPACES.join(',')})
  --help                      this text`;

function fail(message: string): never {
  console.error(`identity-certs: ${message}\n\n${USAGE}`);
  process.exit(2);
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      strict: true,
      allowPositionals: false,
      options: {
        out: { type: 'string' },
        'trust-domain': { type: 'string' },
        namespace: { type: 'string' },
        'trust-root-namespaces': { type: 'string' },
        help: { type: 'boolean' },
      },
    }));
  } catch (err) {
    fail((err as Error).message);
  }
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (!values.out) fail('--out is required');
  const trustDomain = values['trust-domain'] ?? 'cluster.local';
  if (!isDns1123Subdomain(trustDomain)) fail(`--trust-domain ${JSON.stringify(trustDomain)} is not a lower-case DNS name`);
  const namespaces = [values.namespace ?? 'trellis-system', ...(values['trust-root-namespaces']?.split(',') ?? [])];
  const bad = namespaces.find((ns) => !isDns1123Label(ns));
  if (bad !== undefined) fail(`${JSON.stringify(bad)} is not a namespace name (DNS-1123 label)`);
  const written = await writeIdentityPki(values.out, {
    trustDomain,
    controlPlaneNamespace: namespaces[0],
    ...(values['trust-root-namespaces'] ? { trustRootNamespaces: values['trust-root-namespaces'].split(',') } : {}),
  });
  console.log(`wrote ${Object.values(written.files).join(', ')}`);
  console.log(`apply with: kubectl apply -f ${written.files.issuerSecret} -f ${written.files.trustRoots}`);
  console.log(`keep ${written.files.anchorKey} offline: it signs new issuers.`);
}

void main();
