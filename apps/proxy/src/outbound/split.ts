import type { Random } from '@trellis/balance';
import type { BackendTarget, Layer } from './layer';

/**
 * Picks an index with probability weight / total, from one uniform draw in [0, 1).
 * Weights must be >= 0 with a positive total.
 */
export function pickWeighted(weights: readonly number[], total: number, draw: number): number {
  let target = draw * total;
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i] ?? 0;
    if (target < w) return i;
    target -= w;
  }
  // Rounding can leave target just past the last bucket; the last positive weight takes it.
  for (let i = weights.length - 1; i >= 0; i--) if ((weights[i] ?? 0) > 0) return i;
  return 0;
}

/**
 * split (Linkerd's traffic split, a profile's dstOverrides): picks the backend of each attempt by
 * weight, or the logical service's own backend when the profile has no split. Every backend has its
 * own resolution, balancer and pools, shared with requests that name that service directly.
 */
export function splitLayer(deps: { backend(authority: string): BackendTarget; random: Random }): Layer {
  return (next) => (call) => {
    const profile = call.profile;
    let authority = call.logical.authority;
    if (profile.splits.length > 0) {
      authority = profile.splits[pickWeighted(profile.splitWeights, profile.splitTotal, deps.random())]?.authority ?? authority;
    }
    call.backend = deps.backend(authority);
    return next(call);
  };
}
