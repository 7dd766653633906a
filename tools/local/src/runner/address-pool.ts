import { LocalError } from '../errors';

// Replicas live on 127.0.0.2 and up: 127.0.0.1 is kept for the control plane and the outbound proxy.
export const DEFAULT_ADDRESS_RANGE = '127.0.0.2-127.0.0.254';
// Linux routes all of 127.0.0.0/8 to the loopback interface; other systems need aliases (see docs/local-mode.md).
const LOOPBACK_PREFIX = 127;

function toNumber(address: string): number | undefined {
  const parts = address.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

function toAddress(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export interface AddressRange {
  first: number;
  last: number;
}

/** Parses "127.0.0.2-127.0.0.254" (IPv4 loopback only, first <= last). */
export function parseAddressRange(text: string): AddressRange {
  const [a, b, extra] = text.split('-').map((s) => s.trim());
  const first = a === undefined ? undefined : toNumber(a);
  const last = b === undefined ? undefined : toNumber(b);
  if (extra !== undefined || first === undefined || last === undefined) {
    throw new LocalError('LOCAL_BAD_FLAG', `address range must look like 127.0.0.2-127.0.0.254, got "${text}"`);
  }
  if (first >>> 24 !== LOOPBACK_PREFIX || last >>> 24 !== LOOPBACK_PREFIX || first > last) {
    throw new LocalError('LOCAL_BAD_FLAG', `address range must be inside 127.0.0.0/8 with first <= last, got "${text}"`);
  }
  if ((first & 255) === 0 || (first & 255) === 255 || (last & 255) === 0 || (last & 255) === 255) {
    throw new LocalError('LOCAL_BAD_FLAG', `address range ends must not be .0 or .255, got "${text}"`);
  }
  return { first, last };
}

/**
 * Hands out loopback addresses for replicas. An address is never handed out twice while in use, and
 * allocation goes round the range from where it last stopped, so a freed address is reused as late as
 * possible (a proxy that still holds a stale endpoint then reaches nothing rather than another service).
 * Addresses ending in .0 and .255 are skipped.
 */
export class AddressPool {
  private readonly used = new Set<number>();
  private cursor: number;

  constructor(private readonly range: AddressRange) {
    this.cursor = range.first;
  }

  get size(): number {
    let n = 0;
    for (let a = this.range.first; a <= this.range.last; a++) if (usable(a)) n++;
    return n;
  }

  get inUse(): number {
    return this.used.size;
  }

  /** The next free address, or undefined when every address is in use. */
  allocate(): string | undefined {
    const span = this.range.last - this.range.first + 1;
    for (let i = 0; i < span; i++) {
      const candidate = this.cursor;
      this.cursor = candidate >= this.range.last ? this.range.first : candidate + 1;
      if (usable(candidate) && !this.used.has(candidate)) {
        this.used.add(candidate);
        return toAddress(candidate);
      }
    }
    return undefined;
  }

  /** Returns an address to the pool; releasing an unknown address does nothing. */
  release(address: string): void {
    const n = toNumber(address);
    if (n !== undefined) this.used.delete(n);
  }
}

function usable(n: number): boolean {
  const last = n & 255;
  return last !== 0 && last !== 255;
}
