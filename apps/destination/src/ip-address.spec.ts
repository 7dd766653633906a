import { describe, expect, it } from 'vitest';
import { toIpAddress } from './ip-address';

describe('toIpAddress', () => {
  it.each([
    ['10.1.2.3', 0x0a010203],
    ['0.0.0.0', 0],
    ['255.255.255.255', 0xffffffff],
  ])('encodes IPv4 %s big-endian', (ip, value) => {
    expect(toIpAddress(ip)).toEqual({ ip: { $case: 'ipv4', value } });
  });

  it.each([
    ['::1', '0', '1'],
    ['fd00::1:2', '18230571291595767808', '65538'],
    ['2001:db8::', '2306139568115548160', '0'],
    ['1:2:3:4:5:6:7:8', String((1n << 48n) + (2n << 32n) + (3n << 16n) + 4n), String((5n << 48n) + (6n << 32n) + (7n << 16n) + 8n)],
    ['::ffff:10.0.0.1', '0', String((0xffffn << 32n) + 0x0a000001n)],
  ])('encodes IPv6 %s as two 64-bit halves', (ip, first, last) => {
    expect(toIpAddress(ip)).toEqual({ ip: { $case: 'ipv6', value: { first, last } } });
  });

  it.each(['web', '10.0.0.256', '1.2.3', '', ':::1'])('rejects %j', (ip) => {
    expect(toIpAddress(ip)).toBeUndefined();
  });
});
