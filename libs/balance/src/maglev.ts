import { xxHash32 } from 'js-xxhash';
import { hashKey, utf8 } from './hash';
import { type PickerInput, NO_ENDPOINT, pickedResults, randomIndex } from './picker';
import type { Endpoint, PickResult, Picker } from './types';

export interface MaglevOptions {
  /** Lookup table size; must be prime so that every skip visits every slot. */
  tableSize: number;
}

/** Envoy (MaglevTable): an endpoint's offset is its hash with seed 0, its skip with seed 1. */
const OFFSET_SEED = 0;
const SKIP_SEED = 1;

/**
 * Fills a Maglev lookup table (Eisenbud et al., NSDI 2016) the way Envoy's MaglevTable does for
 * weights: endpoints take turns claiming the next free slot of their own permutation
 * (offset + k x skip) mod size, and an endpoint of weight w takes a turn in the rounds where it
 * is due, w / max weight of the time, so slot counts are proportional to weight.
 */
export function maglevTable(endpoints: readonly Endpoint<unknown>[], size: number): Int32Array {
  const n = endpoints.length;
  const table = new Int32Array(size).fill(-1);
  const ids = endpoints.map((e) => utf8(e.id));
  const offset = Float64Array.from(ids, (id) => xxHash32(id, OFFSET_SEED) % size);
  const skip = Float64Array.from(ids, (id) => (xxHash32(id, SKIP_SEED) % (size - 1)) + 1);
  const next = new Float64Array(n);
  const maxWeight = Math.max(...endpoints.map((e) => e.weight));
  const weight = Float64Array.from(endpoints, (e) => e.weight / maxWeight);
  const target = new Float64Array(n);
  let filled = 0;
  for (let round = 0; filled < size; round++) {
    for (let j = 0; j < n && filled < size; j++) {
      if (round * (weight[j] ?? 0) < (target[j] ?? 0)) continue;
      target[j] = (target[j] ?? 0) + 1;
      const o = offset[j] ?? 0;
      const s = skip[j] ?? 1;
      let k = next[j] ?? 0;
      let slot = (o + s * k) % size;
      while ((table[slot] ?? 0) !== -1) {
        k += 1;
        slot = (o + s * k) % size;
      }
      table[slot] = j;
      next[j] = k + 1;
      filled += 1;
    }
  }
  return table;
}

/**
 * Maglev consistent hashing: a key goes to table[hashKey(key) mod size]. Endpoints are ordered
 * by id before the table is filled, so the table depends only on the set. A pick without a key
 * is random. O(1) per pick.
 */
export function maglevPicker<T>(input: PickerInput<T>, opts: MaglevOptions): Picker<T> {
  const endpoints = [...input.endpoints].sort((a, b) => (a.id < b.id ? -1 : 1));
  const results = pickedResults(endpoints);
  const size = opts.tableSize;
  const table = maglevTable(endpoints, size);
  const random = input.random;
  const n = results.length;
  return {
    pick(key?: string): PickResult<T> {
      if (key === undefined) return results[randomIndex(random, n)] ?? NO_ENDPOINT;
      return results[table[hashKey(key) % size] ?? 0] ?? NO_ENDPOINT;
    },
  };
}
