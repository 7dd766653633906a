import type { StatusPredicate } from '@trellis/routes';

export type Classification = 'success' | 'failure';

export interface ResponseClassRule {
  matches: StatusPredicate;
  isFailure: boolean;
}

/** gRPC status OK; linkerd2-proxy classifies any other grpc-status as a failure. */
export const GRPC_STATUS_OK = 0;

/**
 * linkerd2-proxy's classifier: the first response class that matches decides; otherwise a
 * gRPC response is a failure when its grpc-status is not OK, and an HTTP one when it is 5xx.
 * `grpcStatus` is undefined when the response carries none (yet).
 */
export function classify(
  rules: readonly ResponseClassRule[],
  status: number,
  grpcStatus: number | undefined,
): Classification {
  for (const rule of rules) {
    if (rule.matches(status)) return rule.isFailure ? 'failure' : 'success';
  }
  if (grpcStatus !== undefined) return grpcStatus === GRPC_STATUS_OK ? 'success' : 'failure';
  return status >= 500 ? 'failure' : 'success';
}

/** The grpc-status of a whole response: from its headers (trailers-only) or, once it ended, its trailers. */
export function finalGrpcStatus(r: { grpcStatus: number | undefined; trailers(): Record<string, string | string[] | undefined> | undefined }): number | undefined {
  if (r.grpcStatus !== undefined) return r.grpcStatus;
  const value = r.trailers()?.['grpc-status'];
  if (typeof value !== 'string') return undefined;
  const n = Number(value);
  return Number.isInteger(n) ? n : undefined;
}

/** The classification of a whole response by a route's classes (see classify). */
export function finalClassification(
  route: { classes: readonly ResponseClassRule[] },
  r: { status: number; grpcStatus: number | undefined; trailers(): Record<string, string | string[] | undefined> | undefined },
): Classification {
  return classify(route.classes, r.status, finalGrpcStatus(r));
}
