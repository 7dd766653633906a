import { classify, type Classification, type ResponseClass } from '@trellis/routes';

export type { Classification };

/** The grpc-status of a whole response: from its headers (trailers-only) or, once it ended, its trailers. */
export function finalGrpcStatus(r: { grpcStatus: number | undefined; trailers(): Record<string, string | string[] | undefined> | undefined }): number | undefined {
  if (r.grpcStatus !== undefined) return r.grpcStatus;
  const value = r.trailers()?.['grpc-status'];
  if (typeof value !== 'string') return undefined;
  const n = Number(value);
  return Number.isInteger(n) ? n : undefined;
}

/** The classification of a whole response by a route's classes (@trellis/routes' classify, linkerd2-proxy's rule). */
export function finalClassification(
  route: { classes: readonly ResponseClass[] },
  r: { status: number; grpcStatus: number | undefined; trailers(): Record<string, string | string[] | undefined> | undefined },
): Classification {
  return classify(route.classes, r.status, finalGrpcStatus(r));
}
