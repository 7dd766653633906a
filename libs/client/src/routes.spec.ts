import { ManualClock } from '@trellis/balance';
import { HttpMethod_Registered, type DestinationProfile } from '@trellis/proto';
import { describe, expect, it } from 'vitest';
import { parseMeshAuthority } from './authority';
import { DEFAULT_ROUTE_TIMEOUT_MS } from './defaults';
import { DEFAULT_ROUTE, classify, compileRouteTable, pickSplit, selectRoute } from './routes';

const clock = new ManualClock();
const toAuthority = (a: string) => parseMeshAuthority(a, 'cluster.local');

function profile(p: Partial<DestinationProfile>): DestinationProfile {
  return { fullyQualifiedName: 'web.demo.svc.cluster.local', opaqueProtocol: false, routes: [], dstOverrides: [], ...p };
}

const table = compileRouteTable(
  profile({
    routes: [
      {
        condition: { match: { $case: 'all', value: { matches: [
          { match: { $case: 'method', value: { type: { $case: 'registered', value: HttpMethod_Registered.GET } } } },
          { match: { $case: 'path', value: { regex: '/books/\\d+' } } },
        ] } } },
        metricsLabels: { route: 'GET /books/{id}' },
        responseClasses: [{ condition: { match: { $case: 'status', value: { min: 404, max: 404 } } }, isFailure: true }],
        isRetryable: true,
        timeout: { seconds: '0', nanos: 250_000_000 },
      },
      { condition: { match: { $case: 'path', value: { regex: '(' } } }, metricsLabels: { route: 'broken' }, responseClasses: [], isRetryable: false },
    ],
    retryBudget: { retryRatio: 0.5, minRetriesPerSecond: 1, ttl: { seconds: '5', nanos: 0 } },
    dstOverrides: [
      { authority: 'web-v1.demo.svc.cluster.local:80', weight: 900 },
      { authority: 'web-v2.demo.svc.cluster.local', weight: 100 },
      { authority: 'example.com:80', weight: 500 },
      { authority: 'web-v3.demo.svc.cluster.local:80', weight: 0 },
    ],
  }),
  { clock, toAuthority },
);

describe('compileRouteTable / selectRoute', () => {
  it.each([
    ['GET', '/books/12', 'GET /books/{id}'],
    ['POST', '/books/12', '[DEFAULT]'],
    ['GET', '/books/12/pages', '[DEFAULT]'],
    ['GET', '(', '[DEFAULT]'],
  ])('%s %s -> %s (whole-path regex; an invalid regex never matches)', (method, path, name) => {
    expect(selectRoute(table, method, path).name).toBe(name);
  });

  it('takes timeout, retryability, classes and budget from the profile, with the defaults elsewhere', () => {
    const route = selectRoute(table, 'GET', '/books/1');
    expect(route.timeoutMs).toBe(250);
    expect(route.retryable).toBe(true);
    expect(classify(route, 404)).toBe('failure');
    expect(classify(route, 503)).toBe('failure');
    expect(classify(route, 200)).toBe('success');
    expect(table.routes[1]?.timeoutMs).toBe(DEFAULT_ROUTE_TIMEOUT_MS);
    expect(DEFAULT_ROUTE.timeoutMs).toBe(0);
    expect([table.budget.ratio, table.budget.minRetriesPerSecond, table.budget.ttlMs]).toEqual([0.5, 1, 5_000]);
  });

  it('keeps the mesh splits with a positive weight, and the budget (with its counts) when its settings stay', () => {
    expect(table.splits).toEqual([
      { authority: 'web-v1.demo.svc.cluster.local:80', weight: 900 },
      { authority: 'web-v2.demo.svc.cluster.local:80', weight: 100 },
    ]);
    const same = compileRouteTable(profile({ retryBudget: { retryRatio: 0.5, minRetriesPerSecond: 1, ttl: { seconds: '5', nanos: 0 } } }), { clock, toAuthority, previous: table });
    expect(same.budget).toBe(table.budget);
    expect(compileRouteTable(null, { clock, toAuthority, previous: table }).budget).not.toBe(table.budget);
  });
});

describe('pickSplit', () => {
  it.each([
    [0, 'web-v1.demo.svc.cluster.local:80'],
    [0.899, 'web-v1.demo.svc.cluster.local:80'],
    [0.9, 'web-v2.demo.svc.cluster.local:80'],
    [0.999999, 'web-v2.demo.svc.cluster.local:80'],
  ])('draw %s -> %s', (draw, authority) => {
    expect(pickSplit(table, 'web.demo.svc.cluster.local:80', draw)).toBe(authority);
  });

  it('sends everything to the logical service without a split', () => {
    expect(pickSplit(compileRouteTable(null, { clock, toAuthority }), 'web.demo.svc.cluster.local:80', 0.5)).toBe('web.demo.svc.cluster.local:80');
  });
});
