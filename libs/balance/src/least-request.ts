import { EdfScheduler } from './edf-scheduler';
import { type PickerInput, NO_ENDPOINT, allWeightsEqual, pickedResults, randomIndex } from './picker';
import type { PickResult, Picker } from './types';

export interface LeastRequestOptions {
  /** Random candidates per pick when all weights are equal (Envoy `choice_count`), >= 2. */
  choiceCount: number;
  /** Exponent of (active + 1) when weights differ (Envoy `active_request_bias`), >= 0. */
  activeRequestBias: number;
}

/**
 * Least request, as Envoy's. Equal weights: `choiceCount` random candidates (drawn with
 * replacement, as Envoy does), the one with the fewest active requests wins (the first on a
 * tie); O(choiceCount). Unequal weights: an EDF schedule whose weights are recomputed at each
 * pick as weight / (active + 1)^bias; O(log n).
 */
export function leastRequestPicker<T>(input: PickerInput<T>, opts: LeastRequestOptions): Picker<T> {
  const { loads, random } = input;
  const results = pickedResults(input.endpoints);
  const n = results.length;
  if (allWeightsEqual(input.endpoints)) {
    const choices = opts.choiceCount;
    return {
      pick(): PickResult<T> {
        let best = randomIndex(random, n);
        let bestActive = loads[best]?.active ?? 0;
        for (let c = 1; c < choices; c++) {
          const i = randomIndex(random, n);
          const active = loads[i]?.active ?? 0;
          if (active < bestActive) {
            best = i;
            bestActive = active;
          }
        }
        return results[best] ?? NO_ENDPOINT;
      },
    };
  }
  const weights = input.endpoints.map((e) => e.weight);
  const bias = opts.activeRequestBias;
  const effectiveWeight =
    bias === 1
      ? (i: number) => (weights[i] ?? 1) / ((loads[i]?.active ?? 0) + 1)
      : (i: number) => (weights[i] ?? 1) / Math.pow((loads[i]?.active ?? 0) + 1, bias);
  const edf = new EdfScheduler(n, effectiveWeight);
  return { pick: () => results[edf.pick()] ?? NO_ENDPOINT };
}
