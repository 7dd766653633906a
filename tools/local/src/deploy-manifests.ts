import { spawnSync } from 'node:child_process';
import { parseAllDocuments } from 'yaml';

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  [field: string]: unknown;
}

/** Renders `deploy/` the way `kubectl apply -k deploy` would, with the kubectl on PATH. */
export function renderKustomization(repoRoot: string, dir = 'deploy'): Manifest[] {
  const run = spawnSync('kubectl', ['kustomize', dir], { cwd: repoRoot, encoding: 'utf8' });
  if (run.error) {
    throw new Error(`kubectl is needed to render ${dir}/ (Debian: apt-get install kubernetes-client): ${run.error.message}`);
  }
  if (run.status !== 0) throw new Error(`kubectl kustomize ${dir} failed: ${run.stderr}`);
  return parseAllDocuments(run.stdout).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`kubectl kustomize produced invalid YAML: ${doc.errors[0]?.message}`);
    return doc.toJS() as Manifest;
  });
}

/** The module of `kubernetes-models` that holds the schema of a built-in kind, or undefined for a custom resource. */
export function modelModule(apiVersion: string, kind: string): string | undefined {
  const builtIn = /^(v1|apps\/v1|rbac\.authorization\.k8s\.io\/v1|apiextensions\.k8s\.io\/v1|coordination\.k8s\.io\/v1|discovery\.k8s\.io\/v1|admissionregistration\.k8s\.io\/v1)$/;
  return builtIn.test(apiVersion) ? `kubernetes-models/${apiVersion}/${kind}` : undefined;
}
