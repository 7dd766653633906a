import { xxHash32 } from 'js-xxhash';

// Keys and endpoint ids are hashed with xxHash32 (js-xxhash) over their UTF-8 bytes, lone
// surrogates as U+FFFD (TextEncoder's rule). Envoy hashes with xxHash64; 32 bits are plenty for
// a 65,537-slot Maglev table or a ring of at most 8M entries, and keep the arithmetic in int32.

/** Envoy: the hash key is hashed with seed 0. */
const KEY_SEED = 0;
/**
 * Ours: keys are encoded into this scratch buffer (hashing is synchronous, so one buffer is
 * enough) and hashed through a cached view of the exact length, so a pick does not allocate an
 * encoded copy of its key. A key that might not fit (over SCRATCH_BYTES / 3 UTF-16 units) is
 * encoded by js-xxhash itself: the same bytes, so the same hash, only slower.
 */
const SCRATCH_BYTES = 1024;

const encoder = new TextEncoder();
const scratch = new Uint8Array(SCRATCH_BYTES);
const views: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(SCRATCH_BYTES + 1);

/** The UTF-8 bytes of `s`, to hash an endpoint id under several seeds without re-encoding it. */
export function utf8(s: string): Uint8Array {
  return encoder.encode(s);
}

/** xxHash32 (seed 0) of the UTF-8 encoding of `key`, an unsigned 32-bit integer. */
export function hashKey(key: string): number {
  if (key.length * 3 > SCRATCH_BYTES) return xxHash32(key, KEY_SEED);
  const { written } = encoder.encodeInto(key, scratch);
  let view = views[written];
  if (view === undefined) {
    view = scratch.subarray(0, written);
    views[written] = view;
  }
  return xxHash32(view, KEY_SEED);
}
