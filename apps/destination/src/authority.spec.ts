import { describe, expect, it } from 'vitest';
import { parseAuthority } from './authority';
import { DestinationError } from './errors';

describe('parseAuthority', () => {
  it.each([
    ['web.emojivoto.svc.cluster.local:8080', { kind: 'service', service: 'web', namespace: 'emojivoto', port: 8080 }],
    ['web.emojivoto.svc.cluster.local', { kind: 'service', service: 'web', namespace: 'emojivoto', port: 80 }],
    ['WEB.Emojivoto.SVC.cluster.local:1', { kind: 'service', service: 'web', namespace: 'emojivoto', port: 1 }],
    ['a-b.c-d.svc.cluster.local:65535', { kind: 'service', service: 'a-b', namespace: 'c-d', port: 65535 }],
  ])('accepts %s', (path, expected) => {
    expect(parseAuthority(path, 'cluster.local', false)).toEqual(expected);
  });

  it('uses the configured cluster domain', () => {
    expect(parseAuthority('web.ns.svc.example.org:81', 'example.org', false)).toEqual({
      kind: 'service',
      service: 'web',
      namespace: 'ns',
      port: 81,
    });
    expect(() => parseAuthority('web.ns.svc.cluster.local:81', 'example.org', false)).toThrow(/svc\.example\.org/);
  });

  it.each([
    ['', /empty/],
    ['web', /not a service name/],
    ['web.ns', /not a service name/],
    ['web.ns.svc.other.domain', /not a service name/],
    ['pod.web.ns.svc.cluster.local', /exactly 2 labels/],
    ['ns.svc.cluster.local', /exactly 2 labels/],
    ['web.ns.svc.cluster.local:0', /port "0"/],
    ['web.ns.svc.cluster.local:65536', /port "65536"/],
    ['web.ns.svc.cluster.local:http', /port "http"/],
    ['web.ns.svc.cluster.local:', /port ""/],
    ['web.ns.svc.cluster.local:-1', /port "-1"/],
    ['web_1.ns.svc.cluster.local', /not a DNS label/],
    ['-web.ns.svc.cluster.local', /not a DNS label/],
    [`${'a'.repeat(64)}.ns.svc.cluster.local`, /not a DNS label/],
    [`${'a.'.repeat(200)}svc.cluster.local`, /longer than 253/],
    ['x'.repeat(10_000), /longer than 512/],
    ['10.0.0.1:8080', /IP addresses/],
    ['[::1]:8080', /IP addresses/],
    ['[::1', /unclosed/],
  ])('rejects %j', (path, why) => {
    let caught: unknown;
    try {
      parseAuthority(path, 'cluster.local', false);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(DestinationError);
    expect((caught as DestinationError).code).toBe('DST_BAD_AUTHORITY');
    expect((caught as DestinationError).message).toMatch(why);
    expect((caught as DestinationError).message).toContain('expected <service>.<namespace>.svc.cluster.local[:<port>]');
  });

  it.each([
    ['10.0.0.1:8080', { kind: 'ip', ip: '10.0.0.1', port: 8080 }],
    ['10.0.0.1', { kind: 'ip', ip: '10.0.0.1', port: 80 }],
    ['[fd00::1]:9000', { kind: 'ip', ip: 'fd00::1', port: 9000 }],
  ])('accepts the IP authority %s when allowed', (path, expected) => {
    expect(parseAuthority(path, 'cluster.local', true)).toEqual(expected);
  });
});
