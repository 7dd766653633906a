import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseH2load } from './h2load-output';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

describe('parseH2load', () => {
  it('reads the summary of a successful h2c run', () => {
    const result = parseH2load(fixture('h2load-ok.txt'));
    expect(result.requestsPerSecond).toBe(35569.33);
    expect(result).toMatchObject({ total: 106708, succeeded: 106708, failed: 0, errored: 0, status2xx: 106707, status4xx: 0, status5xx: 0 });
    expect(result.latencyMs.min).toBeCloseTo(0.2, 9);
    expect(result.latencyMs.max).toBeCloseTo(7.23, 9);
    expect(result.latencyMs.mean).toBeCloseTo(2.45, 9);
  });

  it('reports a run where every stream failed', () => {
    const result = parseH2load(fixture('h2load-failed.txt'));
    expect(result).toMatchObject({ requestsPerSecond: 0, succeeded: 0, failed: 100, errored: 100, status2xx: 0 });
  });

  it('fails with BENCH_PARSE when there is no summary', () => {
    expect(() => parseH2load('starting benchmark...\nconnect to 127.0.0.1:1 failed\n')).toThrow(expect.objectContaining({ code: 'BENCH_PARSE' }));
  });
});

describe('parseH2load over HTTP/1.1 at a fixed rate', () => {
  it('reads the rate achieved and the per-request time of an h2load --h1 --rps run', () => {
    const result = parseH2load(fixture('h2load-h1-rate.txt'));
    expect(result.requestsPerSecond).toBe(4986.67);
    expect(result).toMatchObject({ total: 14960, succeeded: 14960, failed: 0, errored: 0, status2xx: 14960 });
    expect(result.latencyMs.mean).toBeCloseTo(0.12, 9);
  });
});
