import { ManualClock } from '@trellis/balance';
import { HttpMethod_Registered, type DestinationProfile, type RequestMatch, type Route as RouteMessage } from '@trellis/proto';
import { describe, expect, it } from 'vitest';
import { classify } from './classify';
import { DEFAULT_ROUTE_NAME, DEFAULT_ROUTE_TIMEOUT_MS, compileProfile, selectRoute } from './profile';
import { compileResponseMatch } from './route-match';
import { pickWeighted } from './split';

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

const opts = { clock: new ManualClock(0), authority: { clusterDomain: 'cluster.local', namespace: 'demo' } };

describe('selectRoute', () => {
  const compiled = compileProfile(
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
  ])('%s %s -> %s', (m, p, expected) => {
    expect(selectRoute(compiled, m, p).name).toBe(expected);
  });

  it('gives a matched route the 10 s default timeout and honours an explicit one', () => {
    const p = compileProfile(profile([route('a', path('/a')), route('b', path('/b'), { timeout: { seconds: '0', nanos: 250_000_000 } })]), opts);
    expect(p.routes.map((r) => r.timeoutMs)).toEqual([DEFAULT_ROUTE_TIMEOUT_MS, 250]);
  });
});

describe('compileProfile', () => {
  it('keeps the retry budget across updates with the same settings and replaces it when they change', () => {
    const budget = { retryRatio: 0.5, minRetriesPerSecond: 1, ttl: { seconds: '5', nanos: 0 } };
    const first = compileProfile(profile([], { retryBudget: budget }), opts);
    const same = compileProfile(profile([route('a', path('/a'))], { retryBudget: budget }), { ...opts, previous: first });
    const changed = compileProfile(profile([], { retryBudget: { ...budget, retryRatio: 0.1 } }), { ...opts, previous: same });
    expect(same.budget).toBe(first.budget);
    expect(changed.budget).not.toBe(first.budget);
    expect(first.budget.ttlMs).toBe(5_000);
  });

  it('normalises split authorities and drops zero weights', () => {
    const p = compileProfile(
      profile([], {
        dstOverrides: [
          { authority: 'web-v1.demo.svc.cluster.local:8080', weight: 9_000 },
          { authority: 'web-v2.demo:8080', weight: 1_000 },
          { authority: 'web-v3.demo:8080', weight: 0 },
        ],
      }),
      opts,
    );
    expect(p.splits).toEqual([
      { authority: 'web-v1.demo.svc.cluster.local:8080', weight: 9_000 },
      { authority: 'web-v2.demo.svc.cluster.local:8080', weight: 1_000 },
    ]);
    expect(p.splitTotal).toBe(10_000);
  });

  it('uses Linkerd defaults without a profile', () => {
    const p = compileProfile(null, opts);
    expect(p.routes).toEqual([]);
    expect([p.budget.ratio, p.budget.minRetriesPerSecond, p.budget.ttlMs]).toEqual([0.2, 10, 10_000]);
  });
});

describe('classify', () => {
  const rules = [
    { matches: compileResponseMatch({ match: { $case: 'status', value: { min: 500, max: 502 } } }), isFailure: true },
    { matches: compileResponseMatch({ match: { $case: 'status', value: { min: 404, max: 404 } } }), isFailure: true },
    { matches: compileResponseMatch({ match: { $case: 'status', value: { min: 503, max: 503 } } }), isFailure: false },
  ];
  it.each([
    [[], 200, undefined, 'success'],
    [[], 500, undefined, 'failure'],
    [[], 404, undefined, 'success'],
    [[], 200, 0, 'success'],
    [[], 200, 14, 'failure'],
    [rules, 404, undefined, 'failure'],
    [rules, 503, undefined, 'success'],
    [rules, 504, undefined, 'failure'],
    [rules, 501, undefined, 'failure'],
  ] as const)('%#: status %s grpc %s -> %s', (r, status, grpc, expected) => {
    expect(classify(r, status, grpc)).toBe(expected);
  });
});

describe('pickWeighted', () => {
  it.each([
    [[1, 1], 0, 0],
    [[1, 1], 0.49, 0],
    [[1, 1], 0.5, 1],
    [[9, 1], 0.89, 0],
    [[9, 1], 0.9, 1],
    [[0, 5, 5], 0, 1],
    [[3, 0], 0.999999, 0],
    [[1, 1], 1, 1],
  ])('weights %j draw %s -> %s', (weights, draw, expected) => {
    expect(pickWeighted(weights, weights.reduce((a, b) => a + b, 0), draw)).toBe(expected);
  });

  it('gives each index its share over a uniform sweep', () => {
    const weights = [7, 2, 1];
    const counts = [0, 0, 0];
    for (let i = 0; i < 1000; i++) counts[pickWeighted(weights, 10, i / 1000)]! += 1;
    expect(counts).toEqual([700, 200, 100]);
  });
});
