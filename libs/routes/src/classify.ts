import type { ResponseClass, Retry } from './model';

export type Classification = 'success' | 'failure';

/** gRPC status OK; linkerd2-proxy classifies any other grpc-status as a failure. */
export const GRPC_STATUS_OK = 0;

/**
 * linkerd2-proxy's classifier: the first response class that matches decides; otherwise a gRPC
 * response is a failure when its grpc-status is not OK, and an HTTP one when it is 5xx.
 * `grpcStatus` is undefined when the response carries none (yet).
 */
export function classify(classes: readonly ResponseClass[], status: number, grpcStatus: number | undefined): Classification {
  for (const c of classes) {
    if (c.matches(status)) return c.isFailure ? 'failure' : 'success';
  }
  if (grpcStatus !== undefined) return grpcStatus === GRPC_STATUS_OK ? 'success' : 'failure';
  return status >= 500 ? 'failure' : 'success';
}

/** Whether a rule's retry conditions call a response (at its headers) a failure to retry. */
export function retryableResponse(retry: Retry, classes: readonly ResponseClass[], status: number, grpcStatus: number | undefined): boolean {
  switch (retry.on.kind) {
    case 'failure-class':
      return classify(classes, status, grpcStatus) === 'failure';
    case 'status':
      return retry.on.ranges.some((r) => status >= r.start && status <= r.end);
    case 'grpc':
      return grpcStatus !== undefined && retry.on.codes.includes(grpcStatus);
  }
}
