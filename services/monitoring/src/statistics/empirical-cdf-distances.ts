/** The two distances between the empirical CDFs of two samples that the numeric drift tests use. */
export interface EmpiricalCdfDistances {
  /** Kolmogorov–Smirnov D: the largest |F_A(x) − F_B(x)|. */
  ks: number;
  /** Wasserstein-1: ∫ |F_A(x) − F_B(x)| dx, in the samples' unit. */
  wasserstein: number;
}

/**
 * KS D and Wasserstein-1 of two ascending samples in one merge of the two (both must be
 * non-empty): the sweep is the cost of either, so a window tested by both pays for it once.
 * Values are taken one at a time from whichever sample has the smaller next value; each time the
 * merge passes a new value x, both CDFs have been flat at i/n and j/m since the previous value x'
 * (ties handled: every value ≤ x' is behind on both sides), adding |i/n − j/m| · (x − x') to the
 * area, and D is the largest such gap. One value at a time (no inner loop over ties) keeps the
 * loop free of hard-to-predict branches; the sums are the same, term for term.
 */
export function empiricalCdfDistances(
  sortedA: ArrayLike<number>,
  sortedB: ArrayLike<number>,
): EmpiricalCdfDistances {
  const n = sortedA.length;
  const m = sortedB.length;
  if (n === 0 || m === 0) throw new RangeError('KS and Wasserstein need two non-empty samples');
  let i = 0;
  let j = 0;
  let gap = 0;
  let ks = 0;
  let area = 0;
  let previous = Math.min(sortedA[0]!, sortedB[0]!);
  while (i < n && j < m) {
    const a = sortedA[i]!;
    const b = sortedB[j]!;
    const x = Math.min(a, b);
    if (x > previous) {
      if (gap > ks) ks = gap;
      area += gap * (x - previous);
      previous = x;
    }
    i += +(a <= x);
    j += +(b <= x);
    gap = Math.abs(i / n - j / m);
  }
  // One sample is used up: the other's CDF climbs to 1 over its remaining values.
  for (; i < n; i++) {
    const x = sortedA[i]!;
    if (x > previous) {
      if (gap > ks) ks = gap;
      area += gap * (x - previous);
      previous = x;
    }
    gap = Math.abs((i + 1) / n - j / m);
  }
  for (; j < m; j++) {
    const x = sortedB[j]!;
    if (x > previous) {
      if (gap > ks) ks = gap;
      area += gap * (x - previous);
      previous = x;
    }
    gap = Math.abs(i / n - (j + 1) / m);
  }
  return { ks: Math.max(ks, gap), wasserstein: area };
}
