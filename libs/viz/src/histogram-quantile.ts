/**
 * The q-quantile of a cumulative histogram (upper bound → count of observations at or below it), interpolated
 * linearly inside the bucket that holds it, as Prometheus' histogram_quantile() does. A quantile that falls in
 * the +Inf bucket is reported as the highest finite bound. Undefined when the histogram is empty.
 */
export function histogramQuantile(q: number, buckets: ReadonlyMap<number, number>): number | undefined {
  const bounds = [...buckets.keys()].sort((a, b) => a - b);
  const top = bounds[bounds.length - 1];
  if (top === undefined) return undefined;
  const total = buckets.get(top) ?? 0;
  if (total <= 0) return undefined;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const le of bounds) {
    const count = buckets.get(le) ?? 0;
    if (count >= rank) {
      if (le === Infinity) return lowerBound;
      if (count === lowerCount) return le;
      return lowerBound + ((le - lowerBound) * (rank - lowerCount)) / (count - lowerCount);
    }
    lowerBound = le;
    lowerCount = count;
  }
  return lowerBound;
}
