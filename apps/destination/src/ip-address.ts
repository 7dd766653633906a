import { isIPv4, isIPv6 } from 'node:net';
import type { IPAddress, TcpAddress } from '@trellis/proto';

/** 10.1.2.3 → 0x0a010203 (the wire's big-endian uint32). */
function ipv4ToNumber(ip: string): number {
  return ip.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
}

/** Expands an IPv6 text form (with `::` and an optional embedded IPv4 tail) to 8 hextets. */
function ipv6Hextets(ip: string): number[] {
  const lastColon = ip.lastIndexOf(':');
  const tail = ip.slice(lastColon + 1);
  let text = ip;
  if (isIPv4(tail)) {
    const n = ipv4ToNumber(tail);
    text = `${ip.slice(0, lastColon + 1)}${Math.floor(n / 65536).toString(16)}:${(n % 65536).toString(16)}`;
  }
  const [head = '', rest] = text.split('::');
  const parse = (s: string) => (s === '' ? [] : s.split(':').map((h) => parseInt(h, 16)));
  const front = parse(head);
  const back = rest === undefined ? [] : parse(rest);
  const zeros = new Array<number>(8 - front.length - back.length).fill(0);
  return [...front, ...zeros, ...back];
}

function halfToDecimal(hextets: number[]): string {
  return hextets.reduce((acc, h) => acc * 65536n + BigInt(h), 0n).toString();
}

/** Text IP → wire IPAddress; undefined when the text is not an IP. */
export function toIpAddress(ip: string): IPAddress | undefined {
  if (isIPv4(ip)) return { ip: { $case: 'ipv4', value: ipv4ToNumber(ip) } };
  if (!isIPv6(ip)) return undefined;
  const h = ipv6Hextets(ip);
  return { ip: { $case: 'ipv6', value: { first: halfToDecimal(h.slice(0, 4)), last: halfToDecimal(h.slice(4, 8)) } } };
}

export function toTcpAddress(ip: string, port: number): TcpAddress | undefined {
  const address = toIpAddress(ip);
  return address ? { ip: address, port } : undefined;
}

function halfToHextets(decimal: string): string[] {
  let value = BigInt(decimal);
  const out: string[] = [];
  for (let i = 0; i < 4; i += 1) {
    out.unshift((value % 65536n).toString(16));
    value /= 65536n;
  }
  return out;
}

/** Wire IPAddress → text (IPv6 uncompressed, which node:net and the pod index both accept); undefined when unset. */
export function fromIpAddress(address: IPAddress | undefined): string | undefined {
  const ip = address?.ip;
  if (ip?.$case === 'ipv4') return [24, 16, 8, 0].map((shift) => Math.floor(ip.value / 2 ** shift) % 256).join('.');
  if (ip?.$case === 'ipv6') return [...halfToHextets(ip.value.first), ...halfToHextets(ip.value.last)].join(':');
  return undefined;
}
