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

function finish(hash: number, tail: number, bytes: number): number {
  let x = hash;
  if ((bytes & 3) !== 0) {
    let k = Math.imul(tail, C1);
    k = (k << 15) | (k >>> 17);
    x ^= Math.imul(k, C2);
  }
  x ^= bytes;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/** The common case, all ASCII: four chars per block, in locals; -1 if a char is not ASCII. */
function murmur3Ascii(s: string, seed: number): number {
  const n = s.length;
  const blocks = n & ~3;
  let x = seed | 0;
  let i = 0;
  for (; i < blocks; i += 4) {
    const c0 = s.charCodeAt(i);
    const c1 = s.charCodeAt(i + 1);
    const c2 = s.charCodeAt(i + 2);
    const c3 = s.charCodeAt(i + 3);
    if ((c0 | c1 | c2 | c3) >= 0x80) return -1;
    let k = Math.imul(c0 | (c1 << 8) | (c2 << 16) | (c3 << 24), C1);
    k = (k << 15) | (k >>> 17);
    x ^= Math.imul(k, C2);
    x = (x << 13) | (x >>> 19);
    x = (Math.imul(x, 5) + 0xe6546b64) | 0;
  }
  let tail = 0;
  for (let shift = 0; i < n; i++, shift += 8) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return -1;
    tail |= c << shift;
  }
  return finish(x, tail, n);
}

/** MurmurHash3 x86_32 of the UTF-8 encoding of `s`, as an unsigned 32-bit integer. */
export function murmur3(s: string, seed = 0): number {
  const ascii = murmur3Ascii(s, seed);
  return ascii >= 0 ? ascii : murmur3Utf8(s, seed);
}

function murmur3Utf8(s: string, seed: number): number {
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
  return finish(h, block, length);
}
