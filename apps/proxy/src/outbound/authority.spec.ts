import { describe, expect, it } from 'vitest';
import { MAX_CACHED_TARGETS, resolveTarget, splitAuthority, TargetCache } from './authority';

const opts = { clusterDomain: 'cluster.local', namespace: 'demo' };

describe('resolveTarget', () => {
  it.each([
    ['web.demo:8080', { kind: 'service', authority: 'web.demo.svc.cluster.local:8080', host: 'web.demo', port: 8080 }],
    ['web.demo', { kind: 'service', authority: 'web.demo.svc.cluster.local:80', host: 'web.demo', port: 80 }],
    ['web', { kind: 'service', authority: 'web.demo.svc.cluster.local:80', host: 'web', port: 80 }],
    ['web.demo.svc', { kind: 'service', authority: 'web.demo.svc.cluster.local:80', host: 'web.demo.svc', port: 80 }],
    ['Web.Demo.svc.cluster.local:9000', { kind: 'service', authority: 'web.demo.svc.cluster.local:9000', host: 'web.demo.svc.cluster.local', port: 9000 }],
    ['web.demo.svc.cluster.local.:81', { kind: 'service', authority: 'web.demo.svc.cluster.local:81', host: 'web.demo.svc.cluster.local.', port: 81 }],
    ['example.com', { kind: 'service', authority: 'example.com.svc.cluster.local:80', host: 'example.com', port: 80 }],
    ['www.example.com:8080', { kind: 'direct', host: 'www.example.com', port: 8080 }],
    ['a.b.c.svc.cluster.local', { kind: 'direct', host: 'a.b.c.svc.cluster.local', port: 80 }],
    ['127.0.0.1:8080', { kind: 'direct', host: '127.0.0.1', port: 8080 }],
    ['[::1]:8080', { kind: 'direct', host: '::1', port: 8080 }],
    ['under_score.demo', { kind: 'direct', host: 'under_score.demo', port: 80 }],
  ])('%s', (input, expected) => {
    expect(resolveTarget(input, opts)).toEqual(expected);
  });

  it('leaves a single label alone when the namespace is unknown', () => {
    expect(resolveTarget('web:8080', { clusterDomain: 'cluster.local', namespace: '' })).toEqual({
      kind: 'direct',
      host: 'web',
      port: 8080,
    });
  });

  it('uses the configured cluster domain', () => {
    expect(resolveTarget('web.demo.svc.example.org', { clusterDomain: 'example.org', namespace: '' })).toMatchObject({
      authority: 'web.demo.svc.example.org:80',
    });
  });
});

describe('splitAuthority', () => {
  it.each(['', ':80', 'web:', 'web:0', 'web:65536', 'web:8o', '[::1', '[::1]x', 'a:b:c', '[]:80'])(
    'rejects %j',
    (input) => {
      expect(splitAuthority(input)).toBeNull();
    },
  );
});

describe('TargetCache', () => {
  it('answers as resolveTarget does, with the host:port the self check compares', () => {
    const cache = new TargetCache(opts);
    for (const a of ['web:8080', 'web.demo', '10.0.0.1:80', 'example.com', 'bad host', '[::1]:8080']) {
      const twice = [cache.resolve(a), cache.resolve(a)];
      const target = resolveTarget(a, opts);
      for (const entry of twice) {
        expect(entry?.target ?? null).toEqual(target);
        if (target !== null) expect(entry?.hostPort).toBe(`${target.host}:${target.port}`);
      }
    }
  });

  it('stays bounded under endless distinct authorities and keeps answering right', () => {
    const cache = new TargetCache(opts);
    for (let i = 0; i < MAX_CACHED_TARGETS * 3; i++) cache.resolve(`svc${i}:80`);
    const size = (cache as unknown as { entries: Map<string, unknown> }).entries.size;
    expect(size).toBeLessThanOrEqual(MAX_CACHED_TARGETS);
    expect(cache.resolve('web:8080')?.target).toEqual(resolveTarget('web:8080', opts));
  });
});
