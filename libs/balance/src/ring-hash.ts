import { xxHash32 } from 'js-xxhash';
import { BalanceError } from './errors';
import { hashKey, utf8 } from './hash';
import { type PickerInput, NO_ENDPOINT, pickedResults, randomIndex } from './picker';
import type { Endpoint, PickResult, Picker } from './types';

export interface RingHashOptions {
  minRingSize: number;
  maxRingSize: number;
  entriesPerEndpoint: number;
  /** Above this many entries, fewer entries per endpoint (at least one each). */
  ringSizeBudget: number;
}

// Ring entries are packed as hash * n + endpoint index in a float64, exact below 2^53.
const MAX_RING_ENDPOINTS = 2 ** 21;
const BUCKETS = 1 << 16;

/**
 * Entries per endpoint, proportional to weight. Per unit of the smallest weight: minRingSize
 * while the set is too light to reach minRingSize with entriesPerEndpoint; else
 * entriesPerEndpoint; and fewer (floor(budget / units), at least 1) once that would pass
 * ringSizeBudget. The per-unit count changes only when the set crosses those sizes, so removing
 * an endpoint usually moves only its own keys (Envoy re-scales on every change). Scaled down if
 * the ring would exceed maxRingSize; every endpoint keeps at least one entry.
 */
export function ringEntryCounts(weights: readonly number[], opts: RingHashOptions): number[] {
  const minWeight = Math.min(...weights);
  const units = weights.map((w) => w / minWeight);
  const totalUnits = units.reduce((a, b) => a + b, 0);
  let perUnit = totalUnits * opts.entriesPerEndpoint >= opts.minRingSize ? opts.entriesPerEndpoint : opts.minRingSize;
  if (totalUnits * perUnit > opts.ringSizeBudget) perUnit = Math.max(1, Math.floor(opts.ringSizeBudget / totalUnits));
  const counts = units.map((u) => Math.max(1, Math.round(u * perUnit)));
  const total = counts.reduce((a, b) => a + b, 0);
  if (total <= opts.maxRingSize) return counts;
  const scale = opts.maxRingSize / total;
  return counts.map((c) => Math.max(1, Math.floor(c * scale)));
}

/**
 * Consistent hashing on a ring, as Envoy's ring hash: endpoint e owns the points
 * xxHash32(e.id, seed j) for j < its entry count; a key goes to the owner of the first point at
 * or after hashKey(key), wrapping around. Endpoints are ordered by id, so the ring depends only
 * on the set, not on the order of updates. A pick without a key is random. O(log ring) per pick,
 * over the few entries that share the key hash's top 16 bits.
 */
export function ringHashPicker<T>(input: PickerInput<T>, opts: RingHashOptions): Picker<T> {
  const endpoints: Endpoint<T>[] = [...input.endpoints].sort((a, b) => (a.id < b.id ? -1 : 1));
  const n = endpoints.length;
  if (n > MAX_RING_ENDPOINTS) {
    throw new BalanceError('INVALID_OPTION', `ring hash supports at most ${MAX_RING_ENDPOINTS} endpoints, got ${n}`);
  }
  const results = pickedResults(endpoints);
  const counts = ringEntryCounts(
    endpoints.map((e) => e.weight),
    opts,
  );
  const size = counts.reduce((a, b) => a + b, 0);
  const packed = new Float64Array(size);
  let at = 0;
  endpoints.forEach((e, index) => {
    const count = counts[index] ?? 1;
    const id = utf8(e.id);
    for (let j = 0; j < count; j++) packed[at++] = xxHash32(id, j) * n + index;
  });
  packed.sort();
  const hashes = new Uint32Array(size);
  const owners = new Int32Array(size);
  for (let i = 0; i < size; i++) {
    const p = packed[i] ?? 0;
    const owner = p % n;
    owners[i] = owner;
    hashes[i] = (p - owner) / n;
  }
  // first[b]: index of the first entry whose hash has top 16 bits >= b, so that a lookup
  // binary-searches only the entries that share its top 16 bits.
  const first = new Int32Array(BUCKETS + 1);
  for (let i = 0, b = 0; b <= BUCKETS; b++) {
    while (i < size && (hashes[i] ?? 0) >>> 16 < b) i++;
    first[b] = i;
  }
  const random = input.random;
  return {
    pick(key?: string): PickResult<T> {
      if (key === undefined) return results[randomIndex(random, n)] ?? NO_ENDPOINT;
      const h = hashKey(key);
      const bucket = h >>> 16;
      let lo = first[bucket] ?? 0;
      let hi = first[bucket + 1] ?? size;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if ((hashes[mid] ?? 0) < h) lo = mid + 1;
        else hi = mid;
      }
      return results[owners[lo === size ? 0 : lo] ?? 0] ?? NO_ENDPOINT;
    },
  };
}
