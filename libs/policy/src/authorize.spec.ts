import { describe, expect, it } from 'vitest';
import { authorize, type PolicyRequest } from './authorize';
import { defaultPolicy, parseCidrList } from './defaults';
import { PolicyError } from './errors';
import { parseCidr, parseIp } from './ip';
import { MATCH_ALL, type Authorization, type InboundPolicy, type Route } from './model';

const CLIENT = 'client.shop.serviceaccount.identity.cluster.local';
const OTHER = 'other.web.serviceaccount.identity.cluster.local';

function request(overrides: Partial<Omit<PolicyRequest, 'clientIp' | 'header'>> & { ip?: string; headers?: Record<string, string> } = {}): PolicyRequest {
  const { ip = '10.0.0.5', headers = {}, ...rest } = overrides;
  return {
    clientIp: parseIp(ip),
    tls: false,
    clientId: undefined,
    method: 'GET',
    path: '/',
    query: '',
    host: undefined,
    header: (name) => headers[name],
    ...rest,
  };
}

const meta = (name: string) => ({ group: 'policy.linkerd.io', kind: 'AuthorizationPolicy', name });

function authz(name: string, networks: string[], authentication: Authorization['authentication'], except: string[] = []): Authorization {
  return { meta: meta(name), networks: networks.map((n) => ({ net: parseCidr(n), except: except.map(parseCidr) })), authentication };
}

function policy(routes: Route[]): InboundPolicy {
  return { server: { group: 'policy.linkerd.io', kind: 'Server', name: 'web-http' }, routes, rateLimit: undefined };
}

const clusterNets = parseCidrList('10.0.0.0/8,fd00::/8');

describe('default policies (Linkerd defaults.rs)', () => {
  const plain = request();
  const anonymousTls = request({ tls: true });
  const meshed = request({ tls: true, clientId: CLIENT });
  const outside = request({ ip: '192.0.2.1' });
  const outsideMeshed = request({ ip: '192.0.2.1', tls: true, clientId: CLIENT });
  it.each([
    ['all-unauthenticated', [true, true, true, true, true]],
    ['all-authenticated', [false, false, true, false, true]],
    ['cluster-unauthenticated', [true, true, true, false, false]],
    ['cluster-authenticated', [false, false, true, false, false]],
    ['deny', [false, false, false, false, false]],
    ['audit', [true, true, true, true, true]],
  ] as const)('%s: plaintext, anonymous TLS, meshed, outside, outside meshed -> %j', (name, expected) => {
    const p = defaultPolicy(name, clusterNets);
    const got = [plain, anonymousTls, meshed, outside, outsideMeshed].map((r) => authorize(p, r).kind === 'allow');
    expect(got).toEqual(expected);
    expect(p.server).toEqual({ group: '', kind: 'default', name });
  });

  it('audit lets everyone in under the audit authorization', () => {
    expect(authorize(defaultPolicy('audit', clusterNets), plain)).toMatchObject({ kind: 'allow', audit: true, authz: { name: 'audit' } });
  });

  it('refuses an unknown name with UNKNOWN_DEFAULT_POLICY', () => {
    expect(() => defaultPolicy('allow-all', clusterNets)).toThrow(expect.objectContaining({ code: 'UNKNOWN_DEFAULT_POLICY' }) as PolicyError);
  });
});

describe('authorizations', () => {
  const route = (authorizations: Authorization[]): Route => ({ meta: meta('route'), hosts: [], matches: [MATCH_ALL], authorizations });
  it.each([
    ['network with an exception: inside', authz('a', ['10.0.0.0/8'], { kind: 'unauthenticated' }, ['10.1.0.0/16']), request({ ip: '10.2.0.1' }), true],
    ['network with an exception: excepted', authz('a', ['10.0.0.0/8'], { kind: 'unauthenticated' }, ['10.1.0.0/16']), request({ ip: '10.1.0.1' }), false],
    ['IPv6 network', authz('a', ['fd00::/8'], { kind: 'unauthenticated' }), request({ ip: 'fd00::7' }), true],
    ['IPv4 network, IPv6 client', authz('a', ['0.0.0.0/0'], { kind: 'unauthenticated' }), request({ ip: '::1' }), false],
    ['IPv4-mapped client', authz('a', ['127.0.0.1/32'], { kind: 'unauthenticated' }), request({ ip: '::ffff:127.0.0.1' }), true],
    ['mesh TLS any: plaintext', authz('a', ['0.0.0.0/0'], { kind: 'tls-unauthenticated' }), request(), false],
    ['mesh TLS any: TLS without identity', authz('a', ['0.0.0.0/0'], { kind: 'tls-unauthenticated' }), request({ tls: true }), true],
    ['identity listed', authz('a', ['0.0.0.0/0'], { kind: 'tls-authenticated', identities: [CLIENT], suffixes: [] }), request({ tls: true, clientId: CLIENT }), true],
    ['identity not listed', authz('a', ['0.0.0.0/0'], { kind: 'tls-authenticated', identities: [CLIENT], suffixes: [] }), request({ tls: true, clientId: OTHER }), false],
    ['identity suffix', authz('a', ['0.0.0.0/0'], { kind: 'tls-authenticated', identities: [], suffixes: [['shop', 'serviceaccount', 'identity', 'cluster', 'local']] }), request({ tls: true, clientId: CLIENT }), true],
    ['identity suffix, other namespace', authz('a', ['0.0.0.0/0'], { kind: 'tls-authenticated', identities: [], suffixes: [['shop', 'serviceaccount', 'identity', 'cluster', 'local']] }), request({ tls: true, clientId: OTHER }), false],
    ['suffix is label-aligned', authz('a', ['0.0.0.0/0'], { kind: 'tls-authenticated', identities: [], suffixes: [['hop', 'serviceaccount', 'identity', 'cluster', 'local']] }), request({ tls: true, clientId: CLIENT }), false],
    ['identities without a client certificate', authz('a', ['0.0.0.0/0'], { kind: 'tls-authenticated', identities: [], suffixes: [[]] }), request({ tls: true }), false],
    ['no client address', authz('a', ['0.0.0.0/0'], { kind: 'unauthenticated' }), { ...request(), clientIp: undefined }, false],
  ])('%s', (_name, a, req, allowed) => {
    expect(authorize(policy([route([a])]), req).kind).toBe(allowed ? 'allow' : 'deny');
  });

  it('takes the first authorization that admits the client, and names it', () => {
    const p = policy([route([authz('mesh-only', ['0.0.0.0/0'], { kind: 'tls-unauthenticated' }), authz('anyone', ['0.0.0.0/0'], { kind: 'unauthenticated' })])]);
    expect(authorize(p, request())).toEqual({ kind: 'allow', route: meta('route'), authz: meta('anyone'), audit: false });
    expect(authorize(p, request({ tls: true }))).toMatchObject({ authz: meta('mesh-only') });
  });

  it('in audit mode lets a denied request through under the audit authorization', () => {
    const p = policy([route([])]);
    expect(authorize(p, request())).toEqual({ kind: 'deny', route: meta('route') });
    expect(authorize(p, request(), { audit: true })).toMatchObject({ kind: 'allow', audit: true, authz: { kind: 'default', name: 'audit' } });
  });
});

describe('routes', () => {
  const anyone = [authz('anyone', ['0.0.0.0/0'], { kind: 'unauthenticated' })];
  const r = (name: string, matches: Route['matches'], hosts: Route['hosts'] = []): Route => ({ meta: meta(name), hosts, matches, authorizations: anyone });
  const p = policy([
    r('exact', [{ path: { kind: 'exact', value: '/admin' }, headers: [], queryParams: [], method: 'POST' }]),
    r('prefix', [{ path: { kind: 'prefix', value: '/api' }, headers: [], queryParams: [], method: undefined }]),
    r('regex', [{ path: { kind: 'regex', value: /^\/v\d+\/items$/ }, headers: [], queryParams: [], method: undefined }]),
    r('header', [{ path: undefined, headers: [{ name: 'x-canary', value: { kind: 'exact', value: '1' } }], queryParams: [], method: undefined }]),
    r('query', [{ path: undefined, headers: [], queryParams: [{ name: 'debug', value: { kind: 'regex', value: /^(?:on|1)$/ } }], method: undefined }]),
    r('host', [MATCH_ALL], [{ kind: 'suffix', value: 'example.com' }]),
  ]);
  it.each([
    [{ method: 'POST', path: '/admin' }, 'exact'],
    [{ method: 'GET', path: '/api' }, 'prefix'],
    [{ path: '/api/users' }, 'prefix'],
    [{ path: '/v2/items' }, 'regex'],
    [{ path: '/x', headers: { 'x-canary': '1' } }, 'header'],
    [{ path: '/x', query: 'a=b&debug=on' }, 'query'],
    [{ path: '/x', host: 'www.example.com' }, 'host'],
    [{ method: 'GET', path: '/admin' }, undefined],
    [{ path: '/apis' }, undefined],
    [{ path: '/v2/items/1' }, undefined],
    [{ path: '/x', headers: { 'x-canary': '2' } }, undefined],
    [{ path: '/x', query: 'debug=off' }, undefined],
    [{ path: '/x', host: 'example.com' }, undefined],
  ])('%j -> %s', (req, routeName) => {
    const d = authorize(p, request(req));
    if (routeName === undefined) expect(d).toEqual({ kind: 'no-route' });
    else expect(d).toMatchObject({ kind: 'allow', route: { name: routeName } });
  });

  it('applies the authorizations of the route the request matched', () => {
    const meshOnly = [authz('mesh', ['0.0.0.0/0'], { kind: 'tls-unauthenticated' })];
    const split = policy([
      { ...r('private', [{ path: { kind: 'prefix', value: '/private' }, headers: [], queryParams: [], method: undefined }]), authorizations: meshOnly },
      r('public', [MATCH_ALL]),
    ]);
    expect(authorize(split, request({ path: '/private/x' }))).toEqual({ kind: 'deny', route: meta('private') });
    expect(authorize(split, request({ path: '/private/x', tls: true })).kind).toBe('allow');
    expect(authorize(split, request({ path: '/public' })).kind).toBe('allow');
  });
});
