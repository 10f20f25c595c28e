import { type EmpiricalCdfDistances, empiricalCdfDistances } from './empirical-cdf-distances.ts';
import { binCounts, binCountsSorted } from './histogram.ts';
import { sortDoubles } from './sort-doubles.ts';

/**
 * A window's finite values for the numeric drift tests. They are sorted (in place, once) only when
 * a test needs their order — KS and Wasserstein sweep both sorted samples; PSI and Jensen–Shannon
 * only count values into bins, which a binary search per value does for a fraction of a sort
 * (the same counts, see {@link binCountsSorted}). KS and Wasserstein against the same reference
 * share one sweep of the two sorted samples ({@link WindowSample.distancesTo}).
 */
export class WindowSample {
  readonly size: number;
  readonly min: number;
  readonly max: number;
  #values: Float64Array;
  #sorted = false;
  #distances: { reference: ArrayLike<number>; distances: EmpiricalCdfDistances } | undefined;

  /** `values`: finite, any order; the sample takes them over (it sorts them in place). */
  constructor(values: Float64Array) {
    this.#values = values;
    this.size = values.length;
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < values.length; i++) {
      const x = values[i]!;
      if (x < min) min = x;
      if (x > max) max = x;
    }
    this.min = min;
    this.max = max;
  }

  /** The values, ascending. */
  sorted(): Float64Array {
    if (!this.#sorted) {
      sortDoubles(this.#values);
      this.#sorted = true;
    }
    return this.#values;
  }

  /** KS D and Wasserstein-1 against ascending `referenceSorted`, computed once per reference. */
  distancesTo(referenceSorted: ArrayLike<number>): EmpiricalCdfDistances {
    if (this.#distances?.reference !== referenceSorted) {
      this.#distances = {
        reference: referenceSorted,
        distances: empiricalCdfDistances(this.sorted(), referenceSorted),
      };
    }
    return this.#distances.distances;
  }

  /** How many values fall in each bin of `edges` (see `binCounts`). */
  binCounts(edges: readonly number[]): number[] {
    return this.#sorted ? binCountsSorted(edges, this.#values) : binCounts(edges, this.#values);
  }
}
