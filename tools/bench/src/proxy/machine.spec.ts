import { describe, expect, it } from 'vitest';
import { cpuModelFrom, loadAverageFrom, versionFrom } from './machine';

describe('cpuModelFrom', () => {
  it('takes the first model name', () => {
    expect(cpuModelFrom('processor\t: 0\nmodel name\t: AMD EPYC 7B13\nprocessor\t: 1\nmodel name\t: other\n')).toBe('AMD EPYC 7B13');
  });

  it('says unknown without one', () => {
    expect(cpuModelFrom('')).toBe('unknown CPU');
  });
});

describe('versionFrom', () => {
  it.each([
    ['nginx version: nginx/1.22.1\n', '1.22.1'],
    ['HAProxy version 2.6.12-1+deb12u4 2026/10/17 - https://haproxy.org/\nStatus: long-term', '2.6.12-1+deb12u4'],
    ['wrk debian/4.1.0-3+b2 [epoll] Copyright (C) 2012 Will Glozer\nUsage: wrk', '4.1.0-3+b2'],
    ['h2load nghttp2/1.52.0\n', '1.52.0'],
  ])('reads %j', (output, version) => {
    expect(versionFrom(output)).toBe(version);
  });
});

describe('loadAverageFrom', () => {
  it('reads the 1-minute figure', () => {
    expect(loadAverageFrom('11.79 7.50 3.68 3/412 28368\n')).toBe(11.79);
  });

  it('is undefined for empty or odd text', () => {
    expect(loadAverageFrom('')).toBeUndefined();
    expect(loadAverageFrom('n/a')).toBeUndefined();
  });
});
