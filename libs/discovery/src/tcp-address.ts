import type { TcpAddress } from '@trellis/proto';

/** `host` is an IP literal (IPv6 without brackets); null when the address carries no IP. */
export interface SocketAddress {
  host: string;
  port: number;
}

function ipv4(value: number): string {
  return `${(value >>> 24) & 255}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

function ipv6(first: string, last: string): string {
  const hex = ((BigInt(first) << 64n) | BigInt(last)).toString(16).padStart(32, '0');
  const groups: string[] = [];
  for (let i = 0; i < 32; i += 4) groups.push(hex.slice(i, i + 4).replace(/^0+(?=.)/, ''));
  return groups.join(':');
}

export function toSocketAddress(addr: TcpAddress | undefined): SocketAddress | null {
  const ip = addr?.ip?.ip;
  if (addr === undefined || ip === undefined) return null;
  if (addr.port < 1 || addr.port > 65_535) return null;
  if (ip.$case === 'ipv4') return { host: ipv4(ip.value), port: addr.port };
  try {
    return { host: ipv6(ip.value.first, ip.value.last), port: addr.port };
  } catch {
    return null;
  }
}

/** The key an endpoint is known by in balancers and pools: `ip:port` or `[ip6]:port`. */
export function addressId(a: SocketAddress): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}
