import { PolicyError } from './errors';

/** An IP address as a number: IPv4 in 32 bits, IPv6 in 128 bits. IPv4-mapped IPv6 (::ffff:a.b.c.d) is IPv4. */
export interface IpAddress {
  readonly family: 4 | 6;
  readonly value: bigint;
}

/** A network: an address with a prefix length; `except` networks inside it are left out. */
export interface Cidr {
  readonly family: 4 | 6;
  readonly prefix: bigint;
  readonly prefixLength: number;
}

const V4_BITS = 32;
const V6_BITS = 128;
const V4_MAPPED_PREFIX = 0xffffn << 32n;

const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const V4_MAPPED_TEXT = '::ffff:';

/** Dotted quad to a number, by hand: it runs on every request, and a split plus regexes cost microseconds. */
function parseIpv4(text: string): bigint | undefined {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === DOT) {
      if (digits === 0 || dots === 3) return undefined;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c >= ZERO && c <= NINE && digits < 3) {
      octet = octet * 10 + (c - ZERO);
      digits++;
      if (octet > 255) return undefined;
    } else {
      return undefined;
    }
  }
  if (digits === 0 || dots !== 3) return undefined;
  return BigInt(value * 256 + octet);
}

function parseGroups(text: string): bigint[] | undefined {
  if (text === '') return [];
  const groups: bigint[] = [];
  const parts = text.split(':');
  for (const [i, part] of parts.entries()) {
    if (i === parts.length - 1 && part.includes('.')) {
      const v4 = parseIpv4(part);
      if (v4 === undefined) return undefined;
      groups.push(v4 >> 16n, v4 & 0xffffn);
      continue;
    }
    if (!/^[0-9a-fA-F]{1,4}$/.test(part)) return undefined;
    groups.push(BigInt(`0x${part}`));
  }
  return groups;
}

function parseIpv6(text: string): bigint | undefined {
  const unscoped = text.split('%')[0] ?? '';
  const halves = unscoped.split('::');
  if (halves.length > 2) return undefined;
  const head = parseGroups(halves[0] ?? '');
  const tail = halves.length === 2 ? parseGroups(halves[1] ?? '') : [];
  if (head === undefined || tail === undefined) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const groups = [...head, ...Array<bigint>(missing).fill(0n), ...tail];
  return groups.reduce((acc, g) => (acc << 16n) | g, 0n);
}

/** Parses an IPv4 or IPv6 address (as Node reports a peer); undefined when it is neither. */
export function parseIp(text: string): IpAddress | undefined {
  if (!text.includes(':')) {
    const v4 = parseIpv4(text);
    return v4 === undefined ? undefined : { family: 4, value: v4 };
  }
  if (text.length > V4_MAPPED_TEXT.length && text.slice(0, V4_MAPPED_TEXT.length).toLowerCase() === V4_MAPPED_TEXT && text.includes('.')) {
    const v4 = parseIpv4(text.slice(V4_MAPPED_TEXT.length));
    if (v4 !== undefined) return { family: 4, value: v4 };
  }
  const v6 = parseIpv6(text);
  if (v6 === undefined) return undefined;
  if (v6 >> 32n === V4_MAPPED_PREFIX >> 32n) return { family: 4, value: v6 & 0xffffffffn };
  return { family: 6, value: v6 };
}

function bitsOf(family: 4 | 6): number {
  return family === 4 ? V4_BITS : V6_BITS;
}

/** Builds a network, masking host bits away; throws INVALID_CIDR for a prefix length out of range. */
export function cidrOf(address: IpAddress, prefixLength: number, text = `${prefixLength}`): Cidr {
  const bits = bitsOf(address.family);
  if (!Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > bits) {
    throw new PolicyError('INVALID_CIDR', `"${text}": prefix length must be 0-${bits}`);
  }
  const shift = BigInt(bits - prefixLength);
  return { family: address.family, prefix: (address.value >> shift) << shift, prefixLength };
}

/** Parses `10.0.0.0/8`, `fd00::/8`, or a bare address (one host); throws PolicyError INVALID_CIDR. */
export function parseCidr(text: string): Cidr {
  const [addressText = '', lengthText, extra] = text.trim().split('/');
  const address = parseIp(addressText);
  if (address === undefined || extra !== undefined) {
    throw new PolicyError('INVALID_CIDR', `"${text}" is not a CIDR (e.g. 10.0.0.0/8 or fd00::/8)`);
  }
  if (lengthText === undefined) return cidrOf(address, bitsOf(address.family), text);
  if (!/^\d{1,3}$/.test(lengthText)) throw new PolicyError('INVALID_CIDR', `"${text}": prefix length must be a number`);
  return cidrOf(address, Number(lengthText), text);
}

export function cidrContains(cidr: Cidr, ip: IpAddress): boolean {
  if (cidr.family !== ip.family) return false;
  const shift = BigInt(bitsOf(cidr.family) - cidr.prefixLength);
  return (ip.value >> shift) << shift === cidr.prefix;
}

function formatIp(family: 4 | 6, value: bigint): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 0xffn)).join('.');
  const groups = [112n, 96n, 80n, 64n, 48n, 32n, 16n, 0n].map((s) => ((value >> s) & 0xffffn).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::').replace(/:{3,}/, '::');
}

export function formatCidr(cidr: Cidr): string {
  return `${formatIp(cidr.family, cidr.prefix)}/${cidr.prefixLength}`;
}

/** Every address of a family: Linkerd's `0.0.0.0/0` and `::/0`. */
export const ALL_IPV4: Cidr = Object.freeze({ family: 4, prefix: 0n, prefixLength: 0 });
export const ALL_IPV6: Cidr = Object.freeze({ family: 6, prefix: 0n, prefixLength: 0 });
