import { type PickerInput, NO_ENDPOINT, pickedResults, randomIndex } from './picker';
import type { PickResult, Picker } from './types';

/**
 * Power of two choices over peak-EWMA cost, as linkerd2-proxy's `linkerd/pool/p2c` with
 * tower's `load::peak_ewma`: two distinct random endpoints, the cheaper one wins (the first on a
 * tie); a single endpoint is returned directly. Cost is RTT estimate x (pending + 1), divided by
 * the endpoint's weight (so equal weights give exactly the linkerd2-proxy cost).
 */
export function p2cPeakEwmaPicker<T>(input: PickerInput<T>): Picker<T> {
  const { loads, now, random } = input;
  const results = pickedResults(input.endpoints);
  const weights = Float64Array.from(input.endpoints, (e) => e.weight);
  const n = results.length;
  const only = results[0];
  if (n === 1 && only !== undefined) return { pick: () => only };
  return {
    pick(): PickResult<T> {
      const a = randomIndex(random, n);
      let b = randomIndex(random, n - 1);
      if (b >= a) b += 1;
      const t = now();
      const costA = (loads[a]?.cost(t) ?? Infinity) / (weights[a] ?? 1);
      const costB = (loads[b]?.cost(t) ?? Infinity) / (weights[b] ?? 1);
      return results[costA <= costB ? a : b] ?? NO_ENDPOINT;
    },
  };
}
