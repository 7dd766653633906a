export * from './model';
export * from './source';
export { KubeError } from './errors';
export type { KubeErrorCode } from './errors';
export { parseSourceSpec } from './source-spec';
export type { SourceSpec } from './source-spec';
export { createSource } from './create-source';
export type { CreateSourceOptions } from './create-source';
export { createFsSource, FS_DEBOUNCE_MS, FS_RESCAN_INTERVAL_MS } from './fs/fs-source';
export type { FsSource, FsSourceOptions } from './fs/fs-source';
export { createFsStore } from './fs/fs-store';
export type { FsStore } from './fs/fs-store';
export { parseManifest, MAX_FILE_BYTES, MAX_DOCUMENTS_PER_FILE } from './fs/parse-manifest';
export type { ManifestResult } from './fs/parse-manifest';
export { MAX_MANIFEST_FILES } from './fs/list-manifest-files';
export { MAX_WATCHED_DIRS } from './fs/dir-watchers';
export { endpointsToSlices } from './fs/endpoints-to-slices';
export { createKubernetesSource } from './kubernetes/kubernetes-source';
export type { KubernetesSourceOptions } from './kubernetes/kubernetes-source';
export {
  backoffDelayMs,
  INFORMER_BACKOFF_INITIAL_MS,
  INFORMER_BACKOFF_MAX_MS,
} from './kubernetes/backoff';
export type { BackoffOptions } from './kubernetes/backoff';
