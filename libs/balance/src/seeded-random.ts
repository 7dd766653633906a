import type { Random } from './types';

/** Mulberry32: a small, fast, seedable generator for tests and simulations (not for secrets). */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A clock that moves only when told to; for tests and simulations. */
export class ManualClock {
  constructor(private time = 0) {}

  now(): number {
    return this.time;
  }

  advance(ms: number): void {
    if (ms > 0) this.time += ms;
  }

  set(time: number): void {
    if (time > this.time) this.time = time;
  }
}
