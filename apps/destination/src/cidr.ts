import type { IPNetwork } from '@trellis/proto';
import { toIpAddress } from './ip-address';

/** A CIDR block as a number: the network's first address and its prefix length. */
export interface Cidr {
  family: 4 | 6;
  /** The network address (host bits cleared). */
  base: bigint;
  prefixLen: number;
  /** Canonical text, e.g. 10.0.0.0/8. */
  text: string;
}

export type CidrResult = { ok: true; cidr: Cidr } | { ok: false; reason: string };

const BITS = { 4: 32, 6: 128 } as const;

function addressValue(ip: string): { family: 4 | 6; value: bigint } | undefined {
  const address = toIpAddress(ip)?.ip;
  if (address?.$case === 'ipv4') return { family: 4, value: BigInt(address.value) };
  if (address?.$case === 'ipv6') return { family: 6, value: (BigInt(address.value.first) << 64n) | BigInt(address.value.last) };
  return undefined;
}

function mask(family: 4 | 6, prefixLen: number): bigint {
  const bits = BigInt(BITS[family]);
  return ((1n << bits) - 1n) ^ ((1n << (bits - BigInt(prefixLen))) - 1n);
}

/**
 * Parses `10.0.0.0/8`, `fd00::/8`, or a bare address (a /32 or /128), as Linkerd's NetworkAuthentication does.
 * Host bits are cleared (10.1.2.3/8 is 10.0.0.0/8).
 */
export function parseCidr(text: string): CidrResult {
  const [ip = '', prefix, extra] = text.trim().split('/');
  if (extra !== undefined) return { ok: false, reason: `${JSON.stringify(text)} is not a CIDR (more than one "/")` };
  const address = addressValue(ip);
  if (!address) return { ok: false, reason: `${JSON.stringify(text)} is not a CIDR: ${JSON.stringify(ip)} is not an IP address` };
  const bits = BITS[address.family];
  const prefixLen = prefix === undefined ? bits : /^[0-9]{1,3}$/.test(prefix) ? Number(prefix) : NaN;
  if (!(prefixLen >= 0 && prefixLen <= bits)) return { ok: false, reason: `${JSON.stringify(text)} is not a CIDR: the prefix length must be 0 to ${bits}` };
  const base = address.value & mask(address.family, prefixLen);
  return { ok: true, cidr: { family: address.family, base, prefixLen, text: `${formatAddress(address.family, base)}/${prefixLen}` } };
}

function formatAddress(family: 4 | 6, value: bigint): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((shift) => ((value >> shift) & 255n).toString()).join('.');
  const hextets = [112n, 96n, 80n, 64n, 48n, 32n, 16n, 0n].map((shift) => ((value >> shift) & 0xffffn).toString(16));
  return hextets.join(':').replace(/(^|:)0(:0)+(:|$)/, '::').replace(/:{3,}/, '::');
}

/** Whether `inner` lies within `outer` (same family, at least as long a prefix, same leading bits). */
export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  return outer.family === inner.family && inner.prefixLen >= outer.prefixLen && (inner.base & mask(outer.family, outer.prefixLen)) === outer.base;
}

/** The wire form (io.linkerd.proxy.net.IPNetwork). */
export function toIpNetwork(cidr: Cidr): IPNetwork {
  if (cidr.family === 4) return { ip: { ip: { $case: 'ipv4', value: Number(cidr.base) } }, prefixLen: cidr.prefixLen };
  const first = (cidr.base >> 64n).toString();
  const last = (cidr.base & ((1n << 64n) - 1n)).toString();
  return { ip: { ip: { $case: 'ipv6', value: { first, last } } }, prefixLen: cidr.prefixLen };
}

/** Parses a comma-separated list of CIDRs (a flag's value); the first bad one is the reason. */
export function parseCidrList(text: string): { ok: true; cidrs: Cidr[] } | { ok: false; reason: string } {
  const cidrs: Cidr[] = [];
  for (const part of text.split(',')) {
    if (part.trim() === '') continue;
    const parsed = parseCidr(part);
    if (!parsed.ok) return parsed;
    cidrs.push(parsed.cidr);
  }
  return cidrs.length === 0 ? { ok: false, reason: 'no CIDR given' } : { ok: true, cidrs };
}
