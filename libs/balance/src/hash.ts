// MurmurHash3 x86_32 (Austin Appleby, public domain) over the UTF-8 bytes of a string, encoded
// on the fly so that hashing allocates nothing. Chosen for the ring and Maglev because it is
// small, fast with Math.imul, dependency-free and mixes short similar keys well.

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

// Scratch state of the current hash; hashing is synchronous, so one set is enough.
let h = 0;
let block = 0;
let length = 0;

function pushByte(b: number): void {
  block |= b << ((length & 3) << 3);
  length += 1;
  if ((length & 3) !== 0) return;
  let k = Math.imul(block, C1);
  k = (k << 15) | (k >>> 17);
  h ^= Math.imul(k, C2);
  h = (h << 13) | (h >>> 19);
  h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  block = 0;
}

/** MurmurHash3 x86_32 of the UTF-8 encoding of `s`, as an unsigned 32-bit integer. */
export function murmur3(s: string, seed = 0): number {
  h = seed | 0;
  block = 0;
  length = 0;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      pushByte(c);
      continue;
    }
    if (c < 0x800) {
      pushByte(0xc0 | (c >> 6));
      pushByte(0x80 | (c & 0x3f));
      continue;
    }
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) {
      const low = s.charCodeAt(i + 1);
      if (low >= 0xdc00 && low < 0xe000) {
        i += 1;
        c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
        pushByte(0xf0 | (c >> 18));
        pushByte(0x80 | ((c >> 12) & 0x3f));
        pushByte(0x80 | ((c >> 6) & 0x3f));
        pushByte(0x80 | (c & 0x3f));
        continue;
      }
    }
    if (c >= 0xd800 && c < 0xe000) c = 0xfffd;
    pushByte(0xe0 | (c >> 12));
    pushByte(0x80 | ((c >> 6) & 0x3f));
    pushByte(0x80 | (c & 0x3f));
  }
  if ((length & 3) !== 0) {
    let k = Math.imul(block, C1);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, C2);
  }
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
