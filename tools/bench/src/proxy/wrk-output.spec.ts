import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { durationToMs, parseWrk } from './wrk-output';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

describe('parseWrk', () => {
  it('reads rate, totals and percentiles of a c=50 run', () => {
    const result = parseWrk(fixture('wrk-c50.txt'));
    expect(result.requestsPerSecond).toBe(8268.3);
    expect(result.requests).toBe(16570);
    expect(result.latencyMs).toEqual({ p50: 4.61, p75: 7.52, p90: 16.62, p99: 242.56 });
    expect(result.socketErrors).toBe(0);
    expect(result.non2xx).toBe(0);
  });

  it('converts microsecond percentiles of a c=1 run to milliseconds', () => {
    const result = parseWrk(fixture('wrk-c1.txt'));
    expect(result.latencyMs.p50).toBeCloseTo(0.082, 6);
    expect(result.latencyMs.p75).toBeCloseTo(0.112, 6);
    expect(result.latencyMs.p90).toBeCloseTo(0.99, 6);
    expect(result.latencyMs.p99).toBeCloseTo(4.06, 6);
    expect(result.requestsPerSecond).toBe(8834.94);
  });

  it('counts socket errors and non-2xx answers', () => {
    const result = parseWrk(fixture('wrk-errors.txt'));
    expect(result.socketErrors).toBe(303);
    expect(result.non2xx).toBe(4949);
    expect(result.requests).toBe(14848);
  });

  it('fails with BENCH_PARSE and wrk’s message when wrk could not connect', () => {
    expect(() => parseWrk(fixture('wrk-refused.txt'))).toThrow(expect.objectContaining({ code: 'BENCH_PARSE', message: expect.stringContaining('Connection refused') }));
  });

  it('fails when the percentiles are missing (run without --latency)', () => {
    const withoutLatency = fixture('wrk-c50.txt').replace(/^\s+\d+%.*$/gm, '');
    expect(() => parseWrk(withoutLatency)).toThrow(/--latency/);
  });
});

describe('durationToMs', () => {
  it.each([
    ['82.00us', 0.082],
    ['4.61ms', 4.61],
    ['1.50s', 1500],
    ['2.00m', 120_000],
  ])('%s is %f ms', (text, ms) => {
    expect(durationToMs(text)).toBeCloseTo(ms, 9);
  });

  it('rejects text without a unit', () => {
    expect(() => durationToMs('12')).toThrow(/not a wrk duration/);
  });
});
