import { status } from '@grpc/grpc-js';
import type { DestinationErrorCode } from './errors';
import { DestinationError } from './errors';

const STATUS_BY_CODE: Record<DestinationErrorCode, status> = {
  DST_BAD_AUTHORITY: status.INVALID_ARGUMENT,
  DST_BAD_PROFILE: status.INVALID_ARGUMENT,
  DST_BAD_TARGET: status.INVALID_ARGUMENT,
  DST_NOT_FOUND: status.NOT_FOUND,
  DST_BAD_FLAG: status.INVALID_ARGUMENT,
  DST_STREAM_OVERFLOW: status.RESOURCE_EXHAUSTED,
  DST_SHUTTING_DOWN: status.UNAVAILABLE,
  DST_INTERNAL: status.INTERNAL,
};

export interface GrpcStatus {
  code: status;
  details: string;
}

/** The one place that turns an error into the gRPC status a client sees. */
export function toGrpcStatus(err: unknown): GrpcStatus {
  if (err instanceof DestinationError) return { code: STATUS_BY_CODE[err.code], details: err.message };
  return { code: status.INTERNAL, details: 'internal error' };
}
