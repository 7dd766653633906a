import { describe, expect, it } from 'vitest';
import { aggregate, cpuMicrosPerRequest } from './results';

describe('cpuMicrosPerRequest', () => {
  it('divides the CPU time of a measurement by the requests it completed, in µs', () => {
    expect(cpuMicrosPerRequest(2_500, 10_000)).toBe(250);
    expect(cpuMicrosPerRequest(2_500, 0)).toBeUndefined();
    expect(cpuMicrosPerRequest(2_500, undefined)).toBeUndefined();
  });
});

describe('aggregate', () => {
  it('summarizes CPU per request over the rounds that have it', () => {
    const result = aggregate([
      { requestsPerSecond: 1_000, errors: 0, cpuMicrosPerRequest: 300 },
      { requestsPerSecond: 2_000, errors: 1 },
      { requestsPerSecond: 3_000, errors: 0, cpuMicrosPerRequest: 200 },
    ]);
    expect(result?.cpuMicrosPerRequest).toMatchObject({ min: 200, max: 300, count: 2 });
    expect(result?.errors).toBe(1);
  });
});
