import { type PickerInput, NO_ENDPOINT, pickedResults } from './picker';
import type { PickResult, Picker } from './types';

/**
 * Vose's alias method: one random draw picks a column, the column's threshold decides between
 * its own endpoint and its alias. O(1) per pick for any weights; O(n) to build.
 */
function aliasTable(weights: readonly number[]): { threshold: Float64Array; alias: Int32Array } {
  const n = weights.length;
  const total = weights.reduce((a, b) => a + b, 0);
  const scaled = Float64Array.from(weights, (w) => (w * n) / total);
  const threshold = new Float64Array(n);
  const alias = new Int32Array(n);
  const small: number[] = [];
  const large: number[] = [];
  scaled.forEach((p, i) => (p < 1 ? small : large).push(i));
  for (;;) {
    const s = small.pop();
    const l = large.pop();
    if (s === undefined || l === undefined) {
      for (const i of [s, l, ...small, ...large]) if (i !== undefined) threshold[i] = 1;
      return { threshold, alias };
    }
    threshold[s] = scaled[s] ?? 0;
    alias[s] = l;
    const rest = (scaled[l] ?? 0) + (scaled[s] ?? 0) - 1;
    scaled[l] = rest;
    (rest < 1 ? small : large).push(l);
  }
}

/** Weighted random: each endpoint is picked with probability weight / total weight. */
export function randomPicker<T>(input: PickerInput<T>): Picker<T> {
  const results = pickedResults(input.endpoints);
  const n = results.length;
  const { threshold, alias } = aliasTable(input.endpoints.map((e) => e.weight));
  const random = input.random;
  return {
    pick(): PickResult<T> {
      const r = random() * n;
      let i = Math.floor(r);
      if (i >= n) i = n - 1;
      const chosen = r - i < (threshold[i] ?? 1) ? i : (alias[i] ?? i);
      return results[chosen] ?? NO_ENDPOINT;
    },
  };
}
