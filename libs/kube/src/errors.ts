export type KubeErrorCode =
  | 'KUBE_BAD_SOURCE_SPEC'
  | 'KUBE_PATH_OUTSIDE_DIR'
  | 'KUBE_OBJECT_NOT_FOUND'
  | 'KUBE_BAD_ARGUMENT';

/** Every error @trellis/kube throws; `code` is stable, `message` is for people. */
export class KubeError extends Error {
  readonly code: KubeErrorCode;

  constructor(code: KubeErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KubeError';
    this.code = code;
  }
}
