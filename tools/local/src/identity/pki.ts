import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  createIssuer,
  createTrustAnchor,
  DEFAULT_ISSUER_LIFETIME_MS,
  DEFAULT_TRUST_DOMAIN,
  systemClock,
  type Clock,
} from '@trellis/identity';
import { stringify } from 'yaml';

// Writes what the identity service needs: a trust anchor (root) and an issuer under it, as PEM files and as the
// Kubernetes Secret and ConfigMaps that deploy/control-plane/identity.yaml and deploy/example/hello.yaml mount.

/** File names in the output folder; the Secret and ConfigMap keys are Linkerd's (tls.crt, tls.key, ca-bundle.crt). */
export const PKI_FILES = {
  anchorCertificate: 'ca-bundle.crt',
  anchorKey: 'ca.key',
  issuerCertificate: 'issuer.crt',
  issuerKey: 'issuer.key',
  issuerSecret: 'identity-issuer-secret.yaml',
  trustRoots: 'identity-trust-roots.yaml',
} as const;

export const ISSUER_SECRET_NAME = 'trellis-identity-issuer';
export const TRUST_ROOTS_CONFIG_MAP_NAME = 'trellis-identity-trust-roots';
/** Namespaces whose pods need the trust anchors by default: the control plane and the example app. */
export const DEFAULT_TRUST_ROOT_NAMESPACES = ['trellis-system', 'trellis-demo'];

export interface PkiOptions {
  trustDomain?: string;
  /** Namespace of the identity service (and so of the issuer Secret). */
  controlPlaneNamespace?: string;
  /** Namespaces that get the trust anchor ConfigMap. */
  trustRootNamespaces?: string[];
  issuerLifetimeMs?: number;
  clock?: Clock;
}

export interface WrittenPki {
  dir: string;
  files: { [K in keyof typeof PKI_FILES]: string };
}

export async function writeIdentityPki(dir: string, options: PkiOptions = {}): Promise<WrittenPki> {
  const clock = options.clock ?? systemClock;
  const random = (n: number) => randomBytes(n);
  const trustDomain = options.trustDomain ?? DEFAULT_TRUST_DOMAIN;
  const namespace = options.controlPlaneNamespace ?? 'trellis-system';
  // Linkerd's docs name the anchor root.linkerd.<domain> and the issuer identity.linkerd.<domain>.
  const anchor = await createTrustAnchor({ clock, random, commonName: `root.trellis.${trustDomain}` });
  const issuer = await createIssuer(anchor, {
    clock,
    random,
    commonName: `identity.trellis.${trustDomain}`,
    lifetimeMs: options.issuerLifetimeMs ?? DEFAULT_ISSUER_LIFETIME_MS,
  });
  const secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/tls',
    metadata: { name: ISSUER_SECRET_NAME, namespace },
    stringData: { 'tls.crt': issuer.certificatePem, 'tls.key': issuer.keyPem },
  };
  const configMaps = (options.trustRootNamespaces ?? DEFAULT_TRUST_ROOT_NAMESPACES).map((ns) =>
    stringify({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: TRUST_ROOTS_CONFIG_MAP_NAME, namespace: ns },
      data: { 'ca-bundle.crt': anchor.certificatePem },
    }),
  );
  const files = Object.fromEntries(Object.entries(PKI_FILES).map(([key, name]) => [key, join(dir, name)])) as WrittenPki['files'];
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(files.anchorCertificate, anchor.certificatePem);
  await writeFile(files.anchorKey, anchor.keyPem, { mode: 0o600 });
  await writeFile(files.issuerCertificate, issuer.certificatePem);
  await writeFile(files.issuerKey, issuer.keyPem, { mode: 0o600 });
  await writeFile(files.issuerSecret, stringify(secret), { mode: 0o600 });
  await writeFile(files.trustRoots, configMaps.join('---\n'));
  return { dir, files };
}
