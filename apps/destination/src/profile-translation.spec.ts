import { HttpMethod_Registered } from '@trellis/proto';
import { describe, expect, it } from 'vitest';
import { DestinationError } from './errors';
import { buildProfile, translateProfileSpec } from './profile-translation';

const FULL_SPEC = {
  routes: [
    {
      name: 'GET /books/{id}',
      condition: { method: 'GET', pathRegex: '/books/\\d+' },
      responseClasses: [
        { condition: { status: { min: 500, max: 599 } }, isFailure: true },
        { condition: { any: [{ status: { min: 404 } }, { not: { status: { max: 399 } } }] }, isFailure: false },
      ],
      isRetryable: true,
      timeout: '300ms',
    },
    {
      name: 'writes',
      condition: { any: [{ method: 'POST' }, { all: [{ method: 'PURGE' }, { not: { pathRegex: '/a|/b' } }] }] },
      timeout: '1m30s',
    },
    { name: 'default-timeout', condition: { pathRegex: '.*' } },
  ],
  retryBudget: { retryRatio: 0.3, minRetriesPerSecond: 5, ttl: '15s' },
  dstOverrides: [
    { authority: 'books-v1.ns.svc.cluster.local:80', weight: '500m' },
    { authority: 'books-v2.ns.svc.cluster.local:80', weight: 1 },
  ],
};

describe('translateProfileSpec', () => {
  it('translates routes in order with conditions, response classes, retryability and timeouts', () => {
    const parts = translateProfileSpec(FULL_SPEC);
    expect(parts.routes.map((r) => r.metricsLabels)).toEqual([{ route: 'GET /books/{id}' }, { route: 'writes' }, { route: 'default-timeout' }]);
    const [first, second, third] = parts.routes;
    expect(first?.condition).toEqual({
      match: {
        $case: 'all',
        value: {
          matches: [
            { match: { $case: 'path', value: { regex: '^(?:/books/\\d+)$' } } },
            { match: { $case: 'method', value: { type: { $case: 'registered', value: HttpMethod_Registered.GET } } } },
          ],
        },
      },
    });
    expect(first?.responseClasses).toEqual([
      { condition: { match: { $case: 'status', value: { min: 500, max: 599 } } }, isFailure: true },
      {
        condition: {
          match: {
            $case: 'any',
            value: {
              matches: [
                { match: { $case: 'status', value: { min: 404, max: 404 } } },
                { match: { $case: 'not', value: { match: { $case: 'status', value: { min: 399, max: 399 } } } } },
              ],
            },
          },
        },
        isFailure: false,
      },
    ]);
    expect(first?.isRetryable).toBe(true);
    expect(first?.timeout).toEqual({ seconds: '0', nanos: 300_000_000 });
    expect(second?.condition).toEqual({
      match: {
        $case: 'any',
        value: {
          matches: [
            { match: { $case: 'method', value: { type: { $case: 'registered', value: HttpMethod_Registered.POST } } } },
            {
              match: {
                $case: 'all',
                value: {
                  matches: [
                    { match: { $case: 'method', value: { type: { $case: 'unregistered', value: 'PURGE' } } } },
                    { match: { $case: 'not', value: { match: { $case: 'path', value: { regex: '^(?:/a|/b)$' } } } } },
                  ],
                },
              },
            },
          ],
        },
      },
    });
    expect(second?.isRetryable).toBe(false);
    expect(second?.timeout).toEqual({ seconds: '90', nanos: 0 });
    expect(third?.timeout).toEqual({ seconds: '10', nanos: 0 });
    expect(parts.retryBudget).toEqual({ retryRatio: 0.3, minRetriesPerSecond: 5, ttl: { seconds: '15', nanos: 0 } });
    expect(parts.dstOverrides).toEqual([
      { authority: 'books-v1.ns.svc.cluster.local:80', weight: 5000 },
      { authority: 'books-v2.ns.svc.cluster.local:80', weight: 10000 },
    ]);
  });

  it('uses the default budget when the spec has none', () => {
    expect(translateProfileSpec({ routes: [] }).retryBudget).toEqual({ retryRatio: 0.2, minRetriesPerSecond: 10, ttl: { seconds: '10', nanos: 0 } });
  });

  const route = (extra: object) => ({ routes: [{ name: 'r', condition: { pathRegex: '/' }, ...extra }] });

  it.each([
    ['a spec that is not an object', 'nope', /spec/],
    ['routes that are not a list', { routes: {} }, /routes must be array/],
    ['a route without a name', { routes: [{ condition: { pathRegex: '/' } }] }, /must have required property 'name'/],
    ['a route with an empty name', { routes: [{ name: '', condition: { pathRegex: '/' } }] }, /name must NOT have fewer than 1/],
    ['a route without a condition', { routes: [{ name: 'r' }] }, /must have required property 'condition'/],
    ['an empty condition', { routes: [{ name: 'r', condition: {} }] }, /routes\[0\]\.condition: a request match needs one of/],
    ['an empty nested condition', { routes: [{ name: 'r', condition: { all: [{}] } }] }, /condition\.all\[0\]: a request match needs/],
    ['a bad regex', route({ condition: { pathRegex: '/books/(' } }), /invalid pathRegex "\/books\/\("/],
    ['a bad timeout', route({ timeout: '10 parsecs' }), /routes\[0\]\.timeout: invalid duration "10 parsecs"/],
    ['a negative timeout', route({ timeout: '-1s' }), /negative duration/],
    ['a timeout with no unit', route({ timeout: '10' }), /invalid duration "10"/],
    ['isRetryable not a boolean', route({ isRetryable: 'yes' }), /isRetryable must be boolean/],
    ['a response class without a condition', route({ responseClasses: [{ isFailure: true }] }), /required property 'condition'/],
    ['an empty status range', route({ responseClasses: [{ condition: { status: {} } }] }), /needs min and\/or max/],
    ['a status below 100', route({ responseClasses: [{ condition: { status: { min: 99 } } }] }), /status min 99 is not between 100 and 599/],
    ['a status above 599', route({ responseClasses: [{ condition: { status: { max: 600 } } }] }), /status max 600/],
    ['an inverted range', route({ responseClasses: [{ condition: { status: { min: 500, max: 400 } } }] }), /min 500 is greater than max 400/],
    ['a non-integer status', route({ responseClasses: [{ condition: { status: { min: 'x' } } }] }), /min must be integer/],
    ['a bad budget ttl', { retryBudget: { retryRatio: 0.2, minRetriesPerSecond: 10, ttl: 'forever' } }, /retryBudget\.ttl: invalid duration/],
    ['a negative ratio', { retryBudget: { retryRatio: -1, minRetriesPerSecond: 10, ttl: '10s' } }, /retryRatio must be >= 0/],
    ['an incomplete budget', { retryBudget: { retryRatio: 0.2 } }, /required property 'minRetriesPerSecond'/],
    ['a bad weight', { dstOverrides: [{ authority: 'a', weight: 'heavy' }] }, /dstOverrides\[0\]\.weight: invalid quantity "heavy"/],
    ['a negative weight', { dstOverrides: [{ authority: 'a', weight: '-1' }] }, /negative weight/],
    ['a huge weight', { dstOverrides: [{ authority: 'a', weight: '1T' }] }, /too large/],
    ['a weight-less override', { dstOverrides: [{ authority: 'a' }] }, /required property 'weight'/],
    ['an override without authority', { dstOverrides: [{ authority: '', weight: 1 }] }, /authority must NOT have fewer/],
  ])('rejects %s', (_title, spec, reason) => {
    let caught: unknown;
    try {
      translateProfileSpec(spec);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(DestinationError);
    expect((caught as DestinationError).code).toBe('DST_BAD_PROFILE');
    expect((caught as DestinationError).message).toMatch(reason);
  });
});

describe('buildProfile', () => {
  it('builds the default profile with no routes and the default budget', () => {
    expect(buildProfile(undefined, { fullyQualifiedName: 'web.ns.svc.cluster.local', service: { namespace: 'ns', name: 'web', port: 80 } })).toEqual({
      fullyQualifiedName: 'web.ns.svc.cluster.local',
      opaqueProtocol: false,
      routes: [],
      retryBudget: { retryRatio: 0.2, minRetriesPerSecond: 10, ttl: { seconds: '10', nanos: 0 } },
      dstOverrides: [],
      parentRef: { kind: { $case: 'resource', value: { group: 'core', kind: 'Service', name: 'web', namespace: 'ns', section: '', port: 80 } } },
    });
  });

  it('names the ServiceProfile it came from', () => {
    const profile = buildProfile(translateProfileSpec({ routes: [] }), {
      fullyQualifiedName: 'web.ns.svc.cluster.local',
      service: { namespace: 'ns', name: 'web', port: 80 },
      profile: { namespace: 'client', name: 'web.ns.svc.cluster.local' },
    });
    expect(profile.profileRef).toEqual({
      kind: { $case: 'resource', value: { group: 'linkerd.io', kind: 'ServiceProfile', name: 'web.ns.svc.cluster.local', namespace: 'client', section: '', port: 0 } },
    });
  });
});
