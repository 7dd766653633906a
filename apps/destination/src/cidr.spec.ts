import { describe, expect, it } from 'vitest';
import { cidrContains, parseCidr, toIpNetwork } from './cidr';

const parsed = (text: string) => {
  const result = parseCidr(text);
  if (!result.ok) throw new Error(result.reason);
  return result.cidr;
};

describe('parseCidr', () => {
  it.each([
    ['10.0.0.0/8', '10.0.0.0/8'],
    ['10.1.2.3/8', '10.0.0.0/8'],
    ['192.168.1.7', '192.168.1.7/32'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['fd00::/8', 'fd00::/8'],
    ['fd12:3456::1/16', 'fd12::/16'],
    ['::/0', '::/0'],
  ])('reads %s as %s', (text, canonical) => {
    expect(parsed(text).text).toBe(canonical);
  });

  it.each([
    ['10.0.0.0/33', /prefix length must be 0 to 32/],
    ['fd00::/129', /prefix length must be 0 to 128/],
    ['10.0.0/8', /"10.0.0" is not an IP address/],
    ['10.0.0.0/8/1', /more than one/],
    ['10.0.0.0/-1', /prefix length/],
    ['', /is not an IP address/],
  ])('rejects %s', (text, reason) => {
    const result = parseCidr(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });

  it('tells whether one block lies inside another', () => {
    expect(cidrContains(parsed('10.0.0.0/8'), parsed('10.1.0.0/16'))).toBe(true);
    expect(cidrContains(parsed('10.0.0.0/8'), parsed('11.0.0.0/16'))).toBe(false);
    expect(cidrContains(parsed('10.1.0.0/16'), parsed('10.0.0.0/8'))).toBe(false);
    expect(cidrContains(parsed('::/0'), parsed('10.0.0.0/8'))).toBe(false);
  });

  it('writes the wire IPNetwork: IPv4 as a big-endian number, IPv6 as two 64-bit halves', () => {
    expect(toIpNetwork(parsed('10.1.0.0/16'))).toEqual({ ip: { ip: { $case: 'ipv4', value: 0x0a010000 } }, prefixLen: 16 });
    expect(toIpNetwork(parsed('fd00::1/128'))).toEqual({
      ip: { ip: { $case: 'ipv6', value: { first: (0xfd00n << 48n).toString(), last: '1' } } },
      prefixLen: 128,
    });
  });
});
