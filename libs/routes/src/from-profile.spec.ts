import { HttpMethod_Registered, type DestinationProfile, type RequestMatch, type Route as RouteMessage } from '@trellis/proto';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ROUTE_TIMEOUT_MS, compileResponseMatch, tableFromProfile } from './from-profile';
import { DEFAULT_ROUTE_NAME } from './model';
import { request } from './request.test-helpers';
import { selectRule } from './select';

const path = (regex: string): RequestMatch => ({ match: { $case: 'path', value: { regex } } });
const method = (m: HttpMethod_Registered): RequestMatch => ({ match: { $case: 'method', value: { type: { $case: 'registered', value: m } } } });
const all = (...matches: RequestMatch[]): RequestMatch => ({ match: { $case: 'all', value: { matches } } });
const any = (...matches: RequestMatch[]): RequestMatch => ({ match: { $case: 'any', value: { matches } } });
const not = (m: RequestMatch): RequestMatch => ({ match: { $case: 'not', value: m } });

function route(name: string, condition: RequestMatch, extra: Partial<RouteMessage> = {}): RouteMessage {
  return { condition, responseClasses: [], metricsLabels: { route: name }, isRetryable: false, ...extra };
}

function profile(routes: RouteMessage[], extra: Partial<DestinationProfile> = {}): DestinationProfile {
  return { fullyQualifiedName: 'web.demo.svc.cluster.local', opaqueProtocol: false, routes, dstOverrides: [], ...extra };
}

const opts = {
  resolveAuthority: (a: string) => (a.startsWith('example.com') ? undefined : a.includes('.svc.') ? a : a.replace(/:/, '.svc.cluster.local:')),
};

describe('tableFromProfile: routes in order, then the default route', () => {
  const table = tableFromProfile(
    profile([
      route('get-books', all(method(HttpMethod_Registered.GET), path('/books/[0-9]+'))),
      route('books', path('/books(/.*)?')),
      route('not-post', all(path('/admin'), not(method(HttpMethod_Registered.POST)))),
      route('custom', any(path('/x'), { match: { $case: 'method', value: { type: { $case: 'unregistered', value: 'purge' } } } })),
      route('broken', path('([')),
    ]),
    opts,
  );

  it.each([
    ['GET', '/books/12', 'get-books'],
    ['POST', '/books/12', 'books'],
    ['GET', '/books', 'books'],
    ['GET', '/books/12/extra', 'books'],
    ['GET', '/bookshelf', DEFAULT_ROUTE_NAME],
    ['GET', '/admin', 'not-post'],
    ['POST', '/admin', DEFAULT_ROUTE_NAME],
    ['PURGE', '/anything', 'custom'],
    ['GET', '/x', 'custom'],
    ['GET', '/prefix/books/1', DEFAULT_ROUTE_NAME],
    ['GET', '([', DEFAULT_ROUTE_NAME],
  ])('%s %s -> %s', (m, p, expected) => {
    expect(selectRule(table, request(m, p))?.rule.name).toBe(expected);
  });

  it('gives a matched route the 10 s default timeout, honours an explicit one, and the default route none', () => {
    const t = tableFromProfile(profile([route('a', path('/a')), route('b', path('/b'), { timeout: { seconds: '0', nanos: 250_000_000 } })]), opts);
    expect(t.routes[0]?.rules.map((r) => r.timeouts.requestMs)).toEqual([DEFAULT_ROUTE_TIMEOUT_MS, 250]);
    expect(t.fallback?.timeouts.requestMs).toBeUndefined();
  });

  it('retries a retryable route on its failure classes, under the budget, with no count limit', () => {
    const t = tableFromProfile(profile([route('r', path('/r'), { isRetryable: true })]), opts);
    expect(t.routes[0]?.rules[0]?.retry).toMatchObject({ on: { kind: 'failure-class' }, budgeted: true, maxRetries: Infinity, maxRequestBytes: 65_536 });
  });

  it('normalises split authorities, drops zero weights and names outside the mesh, and splits every rule and the default route', () => {
    const t = tableFromProfile(
      profile([route('a', path('/a'))], {
        dstOverrides: [
          { authority: 'web-v1.demo.svc.cluster.local:8080', weight: 9_000 },
          { authority: 'web-v2.demo:8080', weight: 1_000 },
          { authority: 'web-v3.demo:8080', weight: 0 },
          { authority: 'example.com:80', weight: 500 },
        ],
      }),
      opts,
    );
    const expected = [
      { authority: 'web-v1.demo.svc.cluster.local:8080', weight: 9_000, filters: [] },
      { authority: 'web-v2.demo.svc.cluster.local:8080', weight: 1_000, filters: [] },
    ];
    expect(t.routes[0]?.rules[0]?.backends).toEqual(expected);
    expect(t.fallback?.backends).toEqual(expected);
  });

  it('carries the retry budget settings; none without a profile', () => {
    const budget = { retryRatio: 0.5, minRetriesPerSecond: 1, ttl: { seconds: '5', nanos: 0 } };
    expect(tableFromProfile(profile([], { retryBudget: budget }), opts).budget).toEqual({ ratio: 0.5, minRetriesPerSecond: 1, ttlMs: 5_000 });
    const none = tableFromProfile(null, opts);
    expect(none).toMatchObject({ routes: [], budget: undefined, origin: 'default' });
    expect(none.fallback?.name).toBe(DEFAULT_ROUTE_NAME);
  });

  it.each([
    [500, true],
    [502, true],
    [404, true],
    [503, false],
    [200, false],
  ])('response classes: status %s is a failure: %s', (status, failure) => {
    const classes = [
      { min: 500, max: 502, isFailure: true },
      { min: 404, max: 404, isFailure: true },
      { min: 503, max: 503, isFailure: false },
    ].map((c) => ({ matches: compileResponseMatch({ match: { $case: 'status', value: { min: c.min, max: c.max } } }), isFailure: c.isFailure }));
    expect(classes.find((c) => c.matches(status))?.isFailure ?? false).toBe(failure);
  });
});
