import { describe, expect, it } from 'vitest';
import { headerValue, withHost } from './headers';

describe('headerValue', () => {
  it.each([
    [['X-Version', '2', 'x-version', '3'], '2'],
    [{ 'X-Version': ['2', '3'] }, '2'],
    [{ 'x-version': '2' }, '2'],
    [{ other: '1' }, undefined],
    [undefined, undefined],
  ])('%j -> %s (case-insensitive, first value)', (headers, expected) => {
    expect(headerValue(headers, 'x-version')).toBe(expected);
  });

  it('reads the Host withHost added, from iterable headers too', () => {
    expect(headerValue(withHost(new Map([['accept', '*/*']]), 'web.demo.svc.cluster.local'), 'host')).toBe('web.demo.svc.cluster.local');
  });
});
