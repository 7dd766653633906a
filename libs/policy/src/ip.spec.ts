import { describe, expect, it } from 'vitest';
import { PolicyError } from './errors';
import { cidrContains, formatCidr, parseCidr, parseIp } from './ip';

describe('parseIp', () => {
  it.each([
    ['127.0.0.1', 4, 0x7f000001n],
    ['10.1.2.3', 4, 0x0a010203n],
    ['::ffff:127.0.0.2', 4, 0x7f000002n],
    ['::FFFF:10.0.0.1', 4, 0x0a000001n],
    ['255.255.255.255', 4, 0xffffffffn],
    ['::1', 6, 1n],
    ['fd00::1', 6, (0xfd00n << 112n) | 1n],
    ['2001:db8::', 6, 0x20010db8n << 96n],
    ['fe80::1%eth0', 6, (0xfe80n << 112n) | 1n],
  ])('%s is IPv%i', (text, family, value) => {
    expect(parseIp(text)).toEqual({ family, value });
  });

  it.each(['', '1.2.3', '1.2.3.256', '1.2.3.4.5', '1.2.3.', '.1.2.3', '1..2.3', '1.2.3.1000', 'a.b.c.d', '::ffff:1.2.3', '1::2::3', '1:2:3:4:5:6:7:8:9', 'gggg::', 'localhost'])(
    'refuses %j',
    (text) => {
      expect(parseIp(text)).toBeUndefined();
    },
  );
});

describe('parseCidr', () => {
  it.each([
    ['10.0.0.0/8', '10.0.0.0/8'],
    ['10.1.2.3/8', '10.0.0.0/8'],
    ['127.0.0.1', '127.0.0.1/32'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['fd00::/8', 'fd00::/8'],
    ['::/0', '::/0'],
    ['::1', '::1/128'],
  ])('%s is %s', (text, formatted) => {
    expect(formatCidr(parseCidr(text))).toBe(formatted);
  });

  it.each(['10.0.0.0/33', '::/129', '10.0.0.0/-1', '10.0.0/8', 'ten/8', '10.0.0.0/8/8', '10.0.0.0/x'])('refuses %j with INVALID_CIDR', (text) => {
    expect(() => parseCidr(text)).toThrow(PolicyError);
    try {
      parseCidr(text);
    } catch (err) {
      expect((err as PolicyError).code).toBe('INVALID_CIDR');
    }
  });

  it.each([
    ['10.0.0.0/8', '10.255.0.1', true],
    ['10.0.0.0/8', '11.0.0.1', false],
    ['127.0.0.1/32', '127.0.0.1', true],
    ['127.0.0.1/32', '127.0.0.2', false],
    ['127.0.0.1/32', '::ffff:127.0.0.1', true],
    ['0.0.0.0/0', '::1', false],
    ['::/0', '::1', true],
    ['fd00::/8', 'fd12::1', true],
    ['fd00::/8', 'fe80::1', false],
  ])('%s contains %s: %s', (cidr, ip, expected) => {
    const addr = parseIp(ip);
    expect(addr).toBeDefined();
    expect(cidrContains(parseCidr(cidr), addr as NonNullable<typeof addr>)).toBe(expected);
  });
});
