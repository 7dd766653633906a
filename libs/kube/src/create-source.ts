import type { KubeConfig } from '@kubernetes/client-node';
import type { FsSourceOptions } from './fs/fs-source';
import { createFsSource } from './fs/fs-source';
import type { BackoffOptions } from './kubernetes/backoff';
import { createKubernetesSource } from './kubernetes/kubernetes-source';
import type { Source, SourceLogger } from './source';
import { parseSourceSpec } from './source-spec';

export interface CreateSourceOptions {
  logger?: SourceLogger;
  /** kubernetes only: use this config instead of in-cluster / KUBECONFIG. */
  kubeConfig?: KubeConfig;
  /** kubernetes only: informer restart backoff. */
  backoff?: BackoffOptions;
  /** fs only: debounce and rescan periods. */
  fs?: Omit<FsSourceOptions, 'logger'>;
}

/** `kubernetes` or `fs:<dir>`; throws KubeError KUBE_BAD_SOURCE_SPEC with a clear message otherwise. */
export function createSource(spec: string, opts: CreateSourceOptions = {}): Source {
  const parsed = parseSourceSpec(spec);
  const logger = opts.logger ? { logger: opts.logger } : {};
  if (parsed.kind === 'fs') return createFsSource(parsed.dir, { ...opts.fs, ...logger });
  return createKubernetesSource({
    ...logger,
    ...(opts.kubeConfig ? { kubeConfig: opts.kubeConfig } : {}),
    ...(opts.backoff ? { backoff: opts.backoff } : {}),
  });
}
