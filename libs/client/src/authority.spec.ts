import { describe, expect, it } from 'vitest';
import { meshAuthority, parseMeshAuthority } from './authority';
import { withHost } from './headers';

describe('meshAuthority', () => {
  it.each([
    ['web.demo.svc.cluster.local', 80, 'web.demo.svc.cluster.local:80'],
    ['Web.Demo.svc.cluster.local.', 8080, 'web.demo.svc.cluster.local:8080'],
    ['web.demo.svc.other.domain', 80, null],
    ['a.web.demo.svc.cluster.local', 80, null],
    ['127.0.0.1', 80, null],
    ['example.com', 80, null],
    ['web_x.demo.svc.cluster.local', 80, null],
  ])('%s:%s -> %s', (host, port, expected) => {
    expect(meshAuthority(host, port, 'cluster.local')).toBe(expected);
  });

  it('parses a split authority, port 80 by default', () => {
    expect(parseMeshAuthority('web.demo.svc.cluster.local', 'cluster.local')).toBe('web.demo.svc.cluster.local:80');
    expect(parseMeshAuthority('web.demo.svc.cluster.local:x', 'cluster.local')).toBeNull();
  });
});

describe('withHost', () => {
  it('adds the logical host unless the caller set one, in every header shape undici takes', () => {
    expect(withHost(null, 'web')).toEqual({ host: 'web' });
    expect(withHost({ a: '1' }, 'web')).toEqual({ a: '1', host: 'web' });
    expect(withHost({ Host: 'mine' }, 'web')).toEqual({ Host: 'mine' });
    expect(withHost(['a', '1'], 'web')).toEqual(['a', '1', 'host', 'web']);
    expect(withHost(['HOST', 'mine'], 'web')).toEqual(['HOST', 'mine']);
    expect(withHost(new Map([['a', ['1', '2']]]) as never, 'web')).toEqual(['a', '1', 'a', '2', 'host', 'web']);
  });
});
