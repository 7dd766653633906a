import { describe, expect, it } from 'vitest';
import { classify, retryableResponse } from './classify';
import type { ResponseClass, Retry, RetryOn } from './model';

const classes: ResponseClass[] = [
  { matches: (s) => s === 404, isFailure: true },
  { matches: (s) => s === 503, isFailure: false },
];
const retry = (on: RetryOn): Retry => ({ maxRetries: 1, on, maxRequestBytes: 1024, budgeted: false, backoff: undefined });

describe('classify', () => {
  it.each([
    [404, undefined, 'failure'],
    [503, undefined, 'success'],
    [500, undefined, 'failure'],
    [200, undefined, 'success'],
    [200, 0, 'success'],
    [200, 14, 'failure'],
  ] as const)('status %s grpc-status %s -> %s (the first class decides, else grpc-status, else 5xx)', (status, grpc, expected) => {
    expect(classify(classes, status, grpc)).toBe(expected);
  });
});

describe('retryableResponse', () => {
  it.each([
    [retry({ kind: 'failure-class' }), 404, undefined, true],
    [retry({ kind: 'failure-class' }), 503, undefined, false],
    [retry({ kind: 'status', ranges: [{ start: 502, end: 504 }] }), 503, undefined, true],
    [retry({ kind: 'status', ranges: [{ start: 502, end: 504 }] }), 500, undefined, false],
    [retry({ kind: 'grpc', codes: [14] }), 200, 14, true],
    [retry({ kind: 'grpc', codes: [14] }), 503, undefined, false],
  ])('%j: status %s grpc-status %s -> %s', (r, status, grpc, expected) => {
    expect(retryableResponse(r, classes, status, grpc)).toBe(expected);
  });
});
