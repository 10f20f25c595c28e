import { empiricalCdfDistances } from './empirical-cdf-distances.ts';

/**
 * Wasserstein-1 (earth mover's) distance between the empirical distributions of two ascending
 * samples: ∫ |F_A(x) − F_B(x)| dx, in the samples' unit. Both must be non-empty.
 */
export function wasserstein1(sortedA: ArrayLike<number>, sortedB: ArrayLike<number>): number {
  return empiricalCdfDistances(sortedA, sortedB).wasserstein;
}
