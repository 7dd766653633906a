import { inbound, type IPNetwork } from '@trellis/proto';
import { describe, expect, it } from 'vitest';
import { authorize, type PolicyRequest } from './authorize';
import { PolicyError } from './errors';
import { formatCidr, parseIp } from './ip';
import { policyFromServer } from './from-proto';

const CLIENT = 'client.shop.serviceaccount.identity.cluster.local';

const v4 = (a: number, b: number, c: number, d: number, prefixLen: number): IPNetwork => ({
  ip: { ip: { $case: 'ipv4', value: ((a << 24) | (b << 16) | (c << 8) | d) >>> 0 } },
  prefixLen,
});
const allV6: IPNetwork = { ip: { ip: { $case: 'ipv6', value: { first: '0', last: '0' } } }, prefixLen: 0 };
const fd00: IPNetwork = { ip: { ip: { $case: 'ipv6', value: { first: String(0xfd00n << 48n), last: '0' } } }, prefixLen: 8 };

function authzMeshTls(name: string): inbound.Authz {
  return inbound.Authz.fromPartial({
    networks: [{ net: v4(10, 0, 0, 0, 8), except: [v4(10, 9, 0, 0, 16)] }, { net: fd00 }],
    authentication: { permit: { $case: 'meshTLS', value: { clients: { $case: 'identities', value: { identities: [{ name: CLIENT }], suffixes: [{ parts: ['ops', 'serviceaccount'] }] } } } } },
    metadata: { kind: { $case: 'resource', value: { group: 'policy.linkerd.io', kind: 'AuthorizationPolicy', name } } },
  });
}

/** Fields of a Server as fromPartial takes them (nested messages partial too). */
type ServerInput = Record<string, unknown>;

function server(partial: ServerInput = {}): inbound.Server {
  const input = {
    protocol: { kind: { $case: 'http1', value: { routes: [] } } },
    authorizations: [authzMeshTls('web-authz')],
    labels: { group: 'policy.linkerd.io', kind: 'Server', name: 'web-http' },
    ...partial,
  };
  return inbound.Server.fromPartial(input as unknown as Parameters<typeof inbound.Server.fromPartial>[0]);
}

function request(ip: string, clientId?: string, path = '/'): PolicyRequest {
  return { clientIp: parseIp(ip), tls: clientId !== undefined, clientId, method: 'GET', path, query: '', host: undefined, header: () => undefined };
}

describe('policyFromServer', () => {
  it('translates the server, its authorizations (IPv4 with an exception, IPv6) and a default route', () => {
    const p = policyFromServer(server());
    expect(p.server).toEqual({ group: 'policy.linkerd.io', kind: 'Server', name: 'web-http' });
    expect(p.routes).toHaveLength(1);
    const [route] = p.routes;
    expect(route?.meta).toEqual({ group: '', kind: 'default', name: 'default' });
    const [authz] = route?.authorizations ?? [];
    expect(authz?.networks.map((n) => [formatCidr(n.net), n.except.map(formatCidr)])).toEqual([
      ['10.0.0.0/8', ['10.9.0.0/16']],
      ['fd00::/8', []],
    ]);
    expect(authz?.authentication).toEqual({ kind: 'tls-authenticated', identities: [CLIENT], suffixes: [['ops', 'serviceaccount']] });
    expect(authorize(p, request('10.1.0.1', CLIENT))).toMatchObject({ kind: 'allow', authz: { name: 'web-authz' } });
    expect(authorize(p, request('10.9.0.1', CLIENT)).kind).toBe('deny');
    expect(authorize(p, request('fd00::3', 'x.ops.serviceaccount')).kind).toBe('allow');
    expect(authorize(p, request('10.1.0.1')).kind).toBe('deny');
  });

  it('translates HTTP routes with their own authorizations, and the rate limit', () => {
    const p = policyFromServer(
      server({
        protocol: {
          kind: {
            $case: 'detect',
            value: {
              httpRoutes: [
                {
                  metadata: { kind: { $case: 'resource', value: { group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', name: 'admin' } } },
                  rules: [{ matches: [{ path: { kind: { $case: 'prefix', value: '/admin' } }, method: { type: { $case: 'registered', value: 1 } } }] }],
                  authorizations: [authzMeshTls('admins')],
                },
                {
                  metadata: { kind: { $case: 'default', value: 'public' } },
                  rules: [{ matches: [] }],
                  authorizations: [{ networks: [{ net: v4(0, 0, 0, 0, 0) }, { net: allV6 }], authentication: { permit: { $case: 'unauthenticated', value: {} } } }],
                },
              ],
            },
          },
        },
        httpLocalRateLimit: { total: { requestsPerSecond: 100 }, identity: { requestsPerSecond: 10 }, overrides: [{ limit: { requestsPerSecond: 50 }, clients: { identities: [{ name: CLIENT }] } }] },
      }),
    );
    expect(p.routes.map((r) => r.meta.name)).toEqual(['admin', 'public']);
    expect(p.routes[0]?.matches[0]?.method).toBe('POST');
    expect(authorize(p, { ...request('192.0.2.1', undefined, '/admin/x'), method: 'POST' })).toMatchObject({ kind: 'deny', route: { name: 'admin' } });
    expect(authorize(p, request('192.0.2.1', undefined, '/home'))).toMatchObject({ kind: 'allow', route: { name: 'public' } });
    expect(p.rateLimit).toMatchObject({ totalRps: 100, identityRps: 10, overrides: [{ rps: 50, clients: [CLIENT] }] });
  });

  it('makes a gRPC route a POST /service/method match', () => {
    const p = policyFromServer(
      server({
        protocol: {
          kind: {
            $case: 'grpc',
            value: { routes: [{ rules: [{ matches: [{ rpc: { service: 'shop.Cart', method: 'Add' } }] }], authorizations: [authzMeshTls('a')] }] },
          },
        },
      }),
    );
    expect(p.routes[0]?.matches[0]).toMatchObject({ method: 'POST', path: { kind: 'exact', value: '/shop.Cart/Add' } });
  });

  const bad: Array<[string, ServerInput, string]> = [
    ['a prefix length over 32', { authorizations: [{ networks: [{ net: v4(10, 0, 0, 0, 33) }], authentication: { permit: { $case: 'unauthenticated', value: {} } } }] }, 'INVALID_CIDR'],
    ['an IPv6 prefix length over 128', { authorizations: [{ networks: [{ net: { ...allV6, prefixLen: 129 } }], authentication: { permit: { $case: 'unauthenticated', value: {} } } }] }, 'INVALID_CIDR'],
    ['a network without an address', { authorizations: [{ networks: [{ net: { prefixLen: 8 } }], authentication: { permit: { $case: 'unauthenticated', value: {} } } }] }, 'INVALID_CIDR'],
    ['an exception without an address', { authorizations: [{ networks: [{ net: v4(10, 0, 0, 0, 8), except: [{ prefixLen: 16 }] }], authentication: { permit: { $case: 'unauthenticated', value: {} } } }] }, 'INVALID_CIDR'],
    ['an authorization without networks', { authorizations: [{ networks: [], authentication: { permit: { $case: 'unauthenticated', value: {} } } }] }, 'INVALID_AUTHORIZATION'],
    ['an authorization without authentication', { authorizations: [{ networks: [{ net: v4(10, 0, 0, 0, 8) }] }] }, 'INVALID_AUTHORIZATION'],
    ['no protocol', { protocol: undefined }, 'INVALID_SERVER'],
    ['a bad path regex', { protocol: { kind: { $case: 'http2', value: { routes: [{ rules: [{ matches: [{ path: { kind: { $case: 'regex', value: '(' } } }] }] }] } } } }, 'INVALID_ROUTE'],
    ['a relative path', { protocol: { kind: { $case: 'http2', value: { routes: [{ rules: [{ matches: [{ path: { kind: { $case: 'exact', value: 'x' } } }] }] }] } } } }, 'INVALID_ROUTE'],
    ['a zero rate', { httpLocalRateLimit: { total: { requestsPerSecond: 0 } } }, 'INVALID_RATE'],
    ['an identity rate above the total', { httpLocalRateLimit: { total: { requestsPerSecond: 5 }, identity: { requestsPerSecond: 6 } } }, 'INVALID_RATE'],
    ['an override without a limit', { httpLocalRateLimit: { overrides: [{ clients: { identities: [{ name: CLIENT }] } }] } }, 'INVALID_RATE'],
  ];
  it.each(bad)('refuses %s', (_name, partial, code) => {
    const s = partial.protocol === undefined && 'protocol' in partial ? { ...server(), protocol: undefined } : server(partial);
    expect(() => policyFromServer(s)).toThrow(PolicyError);
    expect(() => policyFromServer(s)).toThrow(expect.objectContaining({ code }) as Error);
  });
});
