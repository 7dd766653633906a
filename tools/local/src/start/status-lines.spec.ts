import { describe, expect, it } from 'vitest';
import { statusLines } from './status-lines';

describe('statusLines', () => {
  it('prints replicas, requests and attempts per service, with dashes where nothing was measured', () => {
    const lines = statusLines(
      [
        { service: 'demo/hello-v1', workloads: ['demo/hello-v1'], desired: 2, ready: 1 },
        { service: 'demo/greeter', workloads: ['demo/greeter'], desired: 2, ready: 2 },
      ],
      new Map([['demo/hello-v1', { rps: 45.04, successRate: 0.987, p99Ms: 20, attemptsPerSecond: 50.0, attemptSuccessRate: 0.9 }]]),
    );
    expect(lines).toEqual([
      '  demo/hello-v1  replicas   1/2  rps    45.0  success  98.7%  p99    20 ms  attempts/s    50.0  90.0%',
      '  demo/greeter   replicas   2/2  rps     0.0  success      -  p99        -  attempts/s     0.0      -',
    ]);
  });
});
