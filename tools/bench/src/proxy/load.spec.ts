import { describe, expect, it } from 'vitest';
import { asAuthority, FIXED_RATE_TOTAL_RPS, fixedRateArgs, wrkArgs } from './load';

const target = { url: 'http://127.0.0.1:4000/', headers: ['Host: backend-h1.bench.svc.cluster.local', 'x-test: 1'] };

describe('fixedRateArgs', () => {
  const args = fixedRateArgs(target, 7);
  const value = (flag: string) => args[args.indexOf(flag) + 1];

  it('drives HTTP/1.1 at 5,000 req/s in total: clients × per-client rate, for the given duration', () => {
    expect(args).toContain('--h1');
    expect(Number(value('-c')) * Number(value('--rps'))).toBe(FIXED_RATE_TOTAL_RPS);
    expect(FIXED_RATE_TOTAL_RPS).toBe(5_000);
    expect(value('-D')).toBe('7');
    expect(args.at(-1)).toBe(target.url);
  });

  it('passes the Host the proxy routes on as :authority and other headers unchanged', () => {
    expect(args).toContain(':authority: backend-h1.bench.svc.cluster.local');
    expect(args).toContain('x-test: 1');
    expect(args.some((a) => /^host:/i.test(a))).toBe(false);
  });
});

describe('asAuthority', () => {
  it('rewrites a Host header in any case and leaves the rest alone', () => {
    expect(asAuthority('host:a.example')).toBe(':authority: a.example');
    expect(asAuthority('HOST: b.example:8080')).toBe(':authority: b.example:8080');
    expect(asAuthority('x-host: c')).toBe('x-host: c');
    expect(asAuthority(':authority: d')).toBe(':authority: d');
  });
});

describe('wrkArgs', () => {
  it('keeps the Host header for wrk', () => {
    expect(wrkArgs(target, 50, 3)).toEqual(expect.arrayContaining(['-c50', '-d3s', '-H', 'Host: backend-h1.bench.svc.cluster.local']));
  });
});
