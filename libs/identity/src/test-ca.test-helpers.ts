import { createIssuer, createTrustAnchor, type CaMaterial } from './ca';
import type { Clock, RandomBytes } from './types';

/** 2026-01-01T00:00:00Z: a fixed wall clock for certificates. */
export const T0 = Date.UTC(2026, 0, 1);

export function fixedClock(ms = T0): Clock & { set(ms: number): void } {
  let now = ms;
  return { now: () => now, set: (next) => void (now = next) };
}

/** Deterministic bytes (a counter), so serial numbers are reproducible. */
export function counterRandom(): RandomBytes {
  let next = 1;
  return (n) => Uint8Array.from({ length: n }, () => next++ & 0xff);
}

export interface TestCa {
  anchor: CaMaterial;
  issuer: CaMaterial;
}

export async function createTestCa(clock: Clock = fixedClock(), random = counterRandom()): Promise<TestCa> {
  const anchor = await createTrustAnchor({ clock, random, commonName: 'root.test' });
  const issuer = await createIssuer(anchor, { clock, random, commonName: 'issuer.test' });
  return { anchor, issuer };
}
