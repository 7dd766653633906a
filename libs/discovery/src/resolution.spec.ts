import type { TcpAddress, Update } from '@trellis/proto';
import { describe, expect, it } from 'vitest';
import { applyResolutionUpdate, type Resolution } from './resolution';
import { toSocketAddress } from './tcp-address';

const v4 = (value: number, port: number): TcpAddress => ({ ip: { ip: { $case: 'ipv4', value } }, port });
const add = (...addrs: TcpAddress[]): Update => ({
  update: { $case: 'add', value: { addrs: addrs.map((addr) => ({ addr, weight: 10_000, metricLabels: { pod: 'p' } })), metricLabels: { namespace: 'demo' } } },
});
const remove = (...addrs: TcpAddress[]): Update => ({ update: { $case: 'remove', value: { addrs } } });
const none = (exists: boolean): Update => ({ update: { $case: 'noEndpoints', value: { exists } } });

function ids(r: Resolution): string[] | 'not-found' {
  return r.kind === 'not-found' ? 'not-found' : [...r.endpoints.keys()].sort();
}

describe('toSocketAddress', () => {
  it.each([
    [v4(0x0a010203, 80), { host: '10.1.2.3', port: 80 }],
    [v4(0x7f000001, 8080), { host: '127.0.0.1', port: 8080 }],
    [{ ip: { ip: { $case: 'ipv6', value: { first: '0', last: '1' } } }, port: 9 } as TcpAddress, { host: '0:0:0:0:0:0:0:1', port: 9 }],
    [{ ip: { ip: { $case: 'ipv6', value: { first: '2306139568115548160', last: '1' } } }, port: 9 } as TcpAddress, { host: '2001:db8:0:0:0:0:0:1', port: 9 }],
    [{ port: 80 } as TcpAddress, null],
    [v4(1, 0), null],
    [{ ip: { ip: { $case: 'ipv6', value: { first: 'x', last: '1' } } }, port: 9 } as TcpAddress, null],
  ])('%#', (addr, expected) => {
    expect(toSocketAddress(addr)).toEqual(expected);
  });
});

describe('applyResolutionUpdate', () => {
  const a = v4(0x7f000001, 1);
  const b = v4(0x7f000002, 2);
  it.each<[string, (Resolution | undefined), Update, string[] | 'not-found']>([
    ['first add', undefined, add(a, b), ['127.0.0.1:1', '127.0.0.2:2']],
    ['first no endpoints (exists)', undefined, none(true), []],
    ['first no endpoints (missing)', undefined, none(false), 'not-found'],
    ['add to existing', { kind: 'endpoints', endpoints: applyEndpoints(add(a)) }, add(b), ['127.0.0.1:1', '127.0.0.2:2']],
    ['remove', { kind: 'endpoints', endpoints: applyEndpoints(add(a, b)) }, remove(a), ['127.0.0.2:2']],
    ['no endpoints clears', { kind: 'endpoints', endpoints: applyEndpoints(add(a, b)) }, none(true), []],
    ['add after not-found', { kind: 'not-found' }, add(a), ['127.0.0.1:1']],
  ])('%s', (_name, previous, update, expected) => {
    expect(ids(applyResolutionUpdate(previous, update))).toEqual(expected);
  });

  it('merges set and endpoint metric labels', () => {
    const r = applyResolutionUpdate(undefined, add(a));
    expect(r.kind === 'endpoints' && r.endpoints.get('127.0.0.1:1')?.labels).toEqual({ namespace: 'demo', pod: 'p' });
  });
});

function applyEndpoints(u: Update) {
  const r = applyResolutionUpdate(undefined, u);
  if (r.kind !== 'endpoints') throw new Error('expected endpoints');
  return r.endpoints;
}
