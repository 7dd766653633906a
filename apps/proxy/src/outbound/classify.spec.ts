import { describe, expect, it } from 'vitest';
import { finalClassification, finalGrpcStatus } from './classify';

const classes = [{ matches: (s: number) => s === 503, isFailure: false }];
const response = (status: number, grpcStatus: number | undefined, trailers?: Record<string, string>) => ({ status, grpcStatus, trailers: () => trailers });

describe('a whole response classified', () => {
  it.each([
    [response(200, undefined), undefined, 'success'],
    [response(200, 14), 14, 'failure'],
    [response(200, undefined, { 'grpc-status': '0' }), 0, 'success'],
    [response(200, undefined, { 'grpc-status': '13' }), 13, 'failure'],
    [response(200, undefined, { 'grpc-status': 'x' }), undefined, 'success'],
    [response(503, undefined), undefined, 'success'],
    [response(500, undefined), undefined, 'failure'],
  ] as const)('%#: grpc-status from headers, else trailers (%s); then the route classes decide', (r, grpc, expected) => {
    expect(finalGrpcStatus(r)).toBe(grpc);
    expect(finalClassification({ classes }, r)).toBe(expected);
  });
});
