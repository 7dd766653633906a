import { EdfScheduler } from './edf-scheduler';
import { type PickerInput, NO_ENDPOINT, allWeightsEqual, pickedResults, randomIndex } from './picker';
import type { PickResult, Picker } from './types';

/**
 * Weighted round robin, as Envoy's: equal weights rotate through the endpoints from a random
 * start (O(1)); unequal weights use an earliest-deadline-first schedule (O(log n)).
 */
export function roundRobinPicker<T>(input: PickerInput<T>): Picker<T> {
  const results = pickedResults(input.endpoints);
  const n = results.length;
  if (allWeightsEqual(input.endpoints)) {
    let next = randomIndex(input.random, n);
    return {
      pick(): PickResult<T> {
        const i = next;
        next = i + 1 === n ? 0 : i + 1;
        return results[i] ?? NO_ENDPOINT;
      },
    };
  }
  const weights = input.endpoints.map((e) => e.weight);
  const edf = new EdfScheduler(n, (i) => weights[i] ?? 1);
  return { pick: () => results[edf.pick()] ?? NO_ENDPOINT };
}
