import fc from 'fast-check';
import { xxHash32 } from 'js-xxhash';
import { describe, expect, it } from 'vitest';
import { hashKey } from './hash';

describe('hashKey', () => {
  it('is xxHash32 with seed 0: the published vectors', () => {
    expect(hashKey('')).toBe(0x02cc5d05);
    expect(hashKey('a')).toBe(0x550d7456);
    expect(hashKey('abc')).toBe(0x32d153ff);
    expect(hashKey('Nobody inspects the spammish repetition')).toBe(0xe2293b2f);
  });

  it('hashes the UTF-8 bytes of any string, short or past the scratch buffer, lone surrogates as U+FFFD', () => {
    const codeUnits = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
    const keys = fc.oneof(fc.string({ unit: codeUnits, maxLength: 40 }), fc.string({ unit: codeUnits, minLength: 300, maxLength: 1200 }));
    fc.assert(
      fc.property(fc.array(keys, { minLength: 1, maxLength: 5 }), (batch) => {
        // Several keys in a row: each must see only its own bytes in the shared scratch buffer.
        for (const key of batch) {
          const h = hashKey(key);
          expect(h).toBe(xxHash32(new TextEncoder().encode(key), 0));
        }
      }),
      { numRuns: 150 },
    );
  });
});
