import type { EndpointLoad } from './endpoint-load';
import { type PickerInput, NO_ENDPOINT, allWeightsEqual, pickedResults, randomIndex } from './picker';
import type { PickResult, Picker } from './types';

/**
 * Whether a's peak-EWMA cost is at most b's. Both estimates decay towards zero with the same
 * time constant, so the common factor exp(-now / decay) cancels out of
 *   rttA x exp(-(now - updatedA) / decay) x (pendingA + 1) / weightA  <=  (the same for b)
 * leaving one exp() of the gap between their last updates and no clock read. (An overflow
 * there, after hours without traffic, still orders the two correctly.)
 */
export function cheaper(a: EndpointLoad, b: EndpointLoad, weightA: number, weightB: number): boolean {
  const left = a.rttMs * (a.pending + 1) * weightB * Math.exp((a.updatedAt - b.updatedAt) / a.decayMs);
  return left <= b.rttMs * (b.pending + 1) * weightA;
}

/**
 * Power of two choices over peak-EWMA cost, as linkerd2-proxy's `linkerd/pool/p2c` with
 * tower's `load::peak_ewma`: two distinct random endpoints, the cheaper one wins (the first on a
 * tie); a single endpoint is returned directly. Cost is RTT estimate x (pending + 1), divided by
 * the endpoint's weight when weights differ (equal weights give exactly linkerd2-proxy's cost).
 * O(1) per pick, no allocation.
 */
export function p2cPeakEwmaPicker<T>(input: PickerInput<T>): Picker<T> {
  const { loads, random } = input;
  const results = pickedResults(input.endpoints);
  const n = results.length;
  const only = results[0];
  if (n === 1 && only !== undefined) return { pick: () => only };
  const weights = allWeightsEqual(input.endpoints) ? undefined : Float64Array.from(input.endpoints, (e) => e.weight);
  return {
    pick(): PickResult<T> {
      const a = randomIndex(random, n);
      let b = randomIndex(random, n - 1);
      if (b >= a) b += 1;
      const loadA = loads[a];
      const loadB = loads[b];
      if (loadA === undefined || loadB === undefined) return NO_ENDPOINT;
      const aWins = weights === undefined ? cheaper(loadA, loadB, 1, 1) : cheaper(loadA, loadB, weights[a] ?? 1, weights[b] ?? 1);
      return results[aWins ? a : b] ?? NO_ENDPOINT;
    },
  };
}
