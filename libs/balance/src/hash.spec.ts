import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { murmur3 } from './hash';

/** Byte-wise reference MurmurHash3_x86_32, straight from the algorithm's description. */
function referenceMurmur3(bytes: Uint8Array, seed: number): number {
  let h = seed >>> 0;
  const rounds = bytes.length & ~3;
  const mix = (k: number) => {
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    return Math.imul(k, 0x1b873593);
  };
  for (let i = 0; i < rounds; i += 4) {
    const k = (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24)) >>> 0;
    h ^= mix(k);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let tail = 0;
  for (let i = bytes.length - 1; i >= rounds; i--) tail = (tail << 8) | bytes[i]!;
  if ((bytes.length & 3) !== 0) h ^= mix(tail);
  h ^= bytes.length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

describe('murmur3', () => {
  it('matches the published MurmurHash3_x86_32 vectors', () => {
    expect(murmur3('', 0)).toBe(0);
    expect(murmur3('', 1)).toBe(0x514e28b7);
    expect(murmur3('hello', 0)).toBe(0x248bfa47);
    expect(murmur3('The quick brown fox jumps over the lazy dog', 0)).toBe(0x2e4ff723);
  });

  it('hashes the UTF-8 bytes of any string, lone surrogates as U+FFFD like TextEncoder', () => {
    const codeUnits = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
    fc.assert(
      fc.property(fc.string({ unit: codeUnits, maxLength: 40 }), fc.nat(), (s, seed) => {
        expect(murmur3(s, seed)).toBe(referenceMurmur3(new TextEncoder().encode(s), seed));
      }),
      { numRuns: 150 },
    );
  });
});
