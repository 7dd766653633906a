import { describe, expect, it } from 'vitest';
import { modifyHeaderList, modifyHeaderRecord, redirectLocation, rewritePath, type HeaderRecord } from './filters';
import type { Filter, HeaderModifier } from './model';

const modifier: HeaderModifier = { add: [['x-a', '2']], set: [['X-Set', 'new']], remove: ['x-gone'] };

describe('header modifiers: add, then set, then remove', () => {
  it('on a raw header list', () => {
    const list = ['Host', 'web', 'x-a', '1', 'x-set', 'old', 'X-SET', 'older', 'X-Gone', 'bye'];
    expect(modifyHeaderList(list, modifier)).toEqual(['Host', 'web', 'x-a', '1', 'x-a', '2', 'X-Set', 'new']);
  });

  it('on a header record', () => {
    const record: HeaderRecord = { 'x-a': '1', 'x-set': ['old', 'older'], 'x-gone': 'bye' };
    modifyHeaderRecord(record, modifier);
    expect(record).toEqual({ 'x-a': ['1', '2'], 'x-set': 'new' });
  });
});

describe('rewritePath', () => {
  it.each([
    ['/v1/items', { kind: 'full', value: '/v2' }, '/v1', '/v2'],
    ['/v1/items', { kind: 'prefix', value: '/v2' }, '/v1', '/v2/items'],
    ['/v1', { kind: 'prefix', value: '/v2' }, '/v1', '/v2'],
    ['/v1/items', { kind: 'prefix', value: '/' }, '/v1', '/items'],
    ['/v1/items', { kind: 'prefix', value: '/v2/' }, '/v1/', '/v2/items'],
    ['/items', { kind: 'prefix', value: '/api' }, '/', '/api/items'],
    ['/v1/items', { kind: 'prefix', value: '/v2' }, undefined, '/v1/items'],
    ['/v1/items', undefined, '/v1', '/v1/items'],
  ] as const)('%s with %j (matched %s) -> %s', (path, rewrite, prefix, expected) => {
    expect(rewritePath(path, rewrite, prefix)).toBe(expected);
  });
});

describe('redirectLocation', () => {
  const req = { scheme: 'http', host: 'cart.shop', port: 8080, path: '/old/x', query: 'a=1' };
  const redirect = (f: Partial<Extract<Filter, { kind: 'redirect' }>>): Extract<Filter, { kind: 'redirect' }> => ({
    kind: 'redirect',
    scheme: undefined,
    host: undefined,
    port: undefined,
    path: undefined,
    status: 302,
    ...f,
  });

  it.each([
    [{}, 'http://cart.shop:8080/old/x?a=1'],
    [{ scheme: 'https', host: 'shop.example.com' }, 'https://shop.example.com/old/x?a=1'],
    [{ port: 80 }, 'http://cart.shop/old/x?a=1'],
    [{ path: { kind: 'prefix', value: '/new' } }, 'http://cart.shop:8080/new/x?a=1'],
    [{ path: { kind: 'full', value: '/' } }, 'http://cart.shop:8080/?a=1'],
  ] as const)('%j -> %s', (f, expected) => {
    expect(redirectLocation(redirect(f), req, '/old')).toBe(expected);
  });
});
