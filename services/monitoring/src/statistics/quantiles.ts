/**
 * The `q`-quantile (0 ≤ q ≤ 1) of ascending `sorted`, interpolating linearly between order
 * statistics (Hyndman–Fan type 7, the default of R and NumPy). `sorted` must not be empty.
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) throw new RangeError('quantile of an empty sample');
  const position = Math.min(Math.max(q, 0), 1) * (n - 1);
  const below = Math.floor(position);
  const above = Math.min(below + 1, n - 1);
  const lower = sorted[below]!;
  return lower + (sorted[above]! - lower) * (position - below);
}

/** `count + 1` evenly spaced quantiles of ascending `sorted`: q0, q1/count, …, q1. */
export function evenQuantiles(sorted: ArrayLike<number>, count: number): number[] {
  return Array.from({ length: count + 1 }, (_, i) => quantileSorted(sorted, i / count));
}

/**
 * A sorted sample of `size` points standing for a distribution given by its evenly spaced
 * quantiles (`quantiles[i]` at i / (quantiles.length - 1)): the piecewise-linear quantile function
 * evaluated at the midpoints (i + 0.5) / size. Used where only quantiles are known, or to bound a
 * large sample without losing its shape.
 */
export function sampleFromQuantiles(quantiles: ArrayLike<number>, size: number): number[] {
  return Array.from({ length: size }, (_, i) => quantileSorted(quantiles, (i + 0.5) / size));
}
