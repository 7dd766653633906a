import { describe, expect, it } from 'vitest';
import { DEFAULT_RULE, NO_TIMEOUTS, type HttpMatch, type Route, type RouteTable, type Rule, type ValueMatch } from './model';
import { request } from './request.test-helpers';
import { pickWeighted, selectRule } from './select';

const exact = (name: string, value: string): ValueMatch => ({ name, kind: 'exact', value, regex: undefined });
const match = (m: Partial<HttpMatch>): HttpMatch => ({ kind: 'http', path: undefined, headers: [], query: [], method: undefined, ...m });
const rule = (name: string, ...matches: HttpMatch[]): Rule => ({ name, matches, filters: [], backends: [], timeouts: NO_TIMEOUTS, retry: undefined, classes: [] });
const route = (name: string, rules: Rule[], hosts: Route['hosts'] = []): Route => ({ name, source: 'gateway', hosts, rules });
const table = (routes: Route[]): RouteTable => ({ selection: 'gamma', routes, fallback: undefined, budget: undefined, origin: 'policy' });

describe('selectRule: Gateway API precedence', () => {
  const t = table([
    route('first', [
      rule('root', match({ path: { kind: 'prefix', value: '/' } })),
      rule('api', match({ path: { kind: 'prefix', value: '/api' } })),
      rule('api-get', match({ path: { kind: 'prefix', value: '/api' }, method: 'GET' })),
      rule('api-get-v2', match({ path: { kind: 'prefix', value: '/api' }, method: 'GET', headers: [exact('x-version', '2')] })),
      rule('api-q', match({ path: { kind: 'prefix', value: '/api' }, method: 'GET', headers: [exact('x-version', '2')], query: [exact('debug', '1')] })),
      rule('health', match({ path: { kind: 'exact', value: '/api/health' } })),
      rule('items', match({ path: { kind: 'regex', value: '/api/items/[0-9]+', regex: /^(?:\/api\/items\/[0-9]+)$/ } })),
    ]),
    route('second', [rule('root-again', match({ path: { kind: 'prefix', value: '/' } })), rule('apix', match({ path: { kind: 'prefix', value: '/apix' } }))]),
  ]);

  it.each([
    ['GET', '/', {}, 'root'],
    ['POST', '/api', {}, 'api'],
    ['POST', '/api/orders', {}, 'api'],
    ['GET', '/api/orders', {}, 'api-get'],
    ['GET', '/api/orders', { 'x-version': '2' }, 'api-get-v2'],
    ['GET', '/api/orders?debug=1', { 'x-version': '2' }, 'api-q'],
    ['GET', '/api/health', { 'x-version': '2' }, 'health'],
    ['POST', '/api/items/12', {}, 'items'],
    ['POST', '/api/items/x', {}, 'api'],
    ['GET', '/apix', {}, 'apix'],
    ['GET', '/apixy', {}, 'root'],
  ])('%s %s %j -> %s', (m, target, headers, expected) => {
    expect(selectRule(t, request(m, target, headers))?.rule.name).toBe(expected);
  });

  it('gives ties to the earlier route, and honours hosts', () => {
    const hosted = table([
      route('web', [rule('web', match({ path: { kind: 'prefix', value: '/' } }))], [{ kind: 'exact', host: 'web.example.com' }]),
      route('any', [rule('any', match({ path: { kind: 'prefix', value: '/' } }))], [{ kind: 'suffix', suffix: 'example.com' }]),
    ]);
    expect(selectRule(hosted, request('GET', '/', {}, 'web.example.com'))?.rule.name).toBe('web');
    expect(selectRule(hosted, request('GET', '/', {}, 'a.b.example.com'))?.rule.name).toBe('any');
    expect(selectRule(hosted, request('GET', '/', {}, 'example.com'))).toBeUndefined();
  });

  it('falls back to the table fallback only when it has one', () => {
    const none = table([route('a', [rule('a', match({ path: { kind: 'exact', value: '/a' } }))])]);
    expect(selectRule(none, request('GET', '/b'))).toBeUndefined();
    expect(selectRule({ ...none, fallback: DEFAULT_RULE }, request('GET', '/b'))?.rule).toBe(DEFAULT_RULE);
  });
});

describe('pickWeighted', () => {
  it.each([
    [[1, 1], 0, 0],
    [[1, 1], 0.49, 0],
    [[1, 1], 0.5, 1],
    [[80, 20], 0.79, 0],
    [[80, 20], 0.8, 1],
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
