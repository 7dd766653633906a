import { describe, expect, it } from 'vitest';
import { AddressPool, parseAddressRange } from './address-pool';

describe('address pool', () => {
  it('never hands out an address twice while it is in use', () => {
    const pool = new AddressPool(parseAddressRange('127.0.0.2-127.0.0.4'));
    const got = [pool.allocate(), pool.allocate(), pool.allocate()];
    expect(new Set(got)).toEqual(new Set(['127.0.0.2', '127.0.0.3', '127.0.0.4']));
    expect(pool.allocate()).toBeUndefined();
    pool.release('127.0.0.3');
    expect(pool.allocate()).toBe('127.0.0.3');
    expect(pool.inUse).toBe(3);
  });

  it('reuses a freed address as late as possible', () => {
    const pool = new AddressPool(parseAddressRange('127.0.0.2-127.0.0.5'));
    const first = pool.allocate();
    pool.release(first ?? '');
    expect([pool.allocate(), pool.allocate(), pool.allocate(), pool.allocate()]).toEqual([
      '127.0.0.3',
      '127.0.0.4',
      '127.0.0.5',
      '127.0.0.2',
    ]);
  });

  it('spans octets and skips .0 and .255', () => {
    const pool = new AddressPool(parseAddressRange('127.0.0.254-127.0.1.2'));
    expect(pool.size).toBe(3);
    expect([pool.allocate(), pool.allocate(), pool.allocate(), pool.allocate()]).toEqual(['127.0.0.254', '127.0.1.1', '127.0.1.2', undefined]);
  });

  it.each(['10.0.0.1-10.0.0.9', '127.0.0.9-127.0.0.2', '127.0.0.2', 'a-b', '127.0.0.0-127.0.0.9', '127.0.0.2-127.0.0.300'])(
    'rejects the range %s with a clear error',
    (text) => {
      expect(() => parseAddressRange(text)).toThrow(/address range/);
    },
  );
});
