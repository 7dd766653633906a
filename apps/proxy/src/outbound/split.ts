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
