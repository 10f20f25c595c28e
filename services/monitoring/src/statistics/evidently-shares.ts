import { binCountsSorted } from './histogram.ts';
import type { WindowSample } from './window-sample.ts';

/**
 * Evidently's histogram of one numeric feature (0.7, `get_binned_data`), as shares of each side.
 * A reference with more than {@link evidentlyMaxDistinct} distinct values is binned with
 * `np.histogram_bin_edges(reference ∪ window, bins="sturges")`: ⌈Δ / (Δ / (log₂ N + 1))⌉ equal-width
 * bins over the combined range (N = both sizes together), each [a, b) but the last [a, b]. Otherwise
 * every value either side holds is a bin of its own. Shares are count / size.
 */
export interface EvidentlyShares {
  reference: number[];
  window: number[];
}

/** Evidently bins a numeric reference by value, not by range, up to this many distinct values. */
export const evidentlyMaxDistinct = 20;

/** `referenceSorted` ascending; both finite, non-empty. The window is sorted only for the per-value bins. */
export function evidentlyShares(referenceSorted: ArrayLike<number>, window: WindowSample): EvidentlyShares {
  if (distinctAtMost(referenceSorted, evidentlyMaxDistinct))
    return valueShares(referenceSorted, window.sorted());
  const first = Math.min(referenceSorted[0]!, window.min);
  const last = Math.max(referenceSorted[referenceSorted.length - 1]!, window.max);
  const edges = sturgesBinEdges(first, last, referenceSorted.length + window.size);
  // binCounts' bins are numpy's: [a, b), the last [a, b].
  return {
    reference: shares(binCountsSorted(edges, referenceSorted), referenceSorted.length),
    window: shares(window.binCounts(edges), window.size),
  };
}

/**
 * numpy's `histogram_bin_edges(a, bins="sturges")` for data of `size` values spanning
 * [first, last]: the same floating-point steps (width, ⌈Δ / width⌉, then `linspace`'s
 * i · (Δ / bins) + first with the last edge exactly `last`); a constant range widens to ± 0.5.
 */
export function sturgesBinEdges(first: number, last: number, size: number): number[] {
  const ptp = last - first;
  let low = first;
  let high = last;
  if (low === high) {
    low -= 0.5;
    high += 0.5;
  }
  const width = ptp / (Math.log2(size) + 1);
  const delta = high - low;
  const bins = width ? Math.ceil(delta / width) : 1;
  const step = delta / bins;
  const edges = new Array<number>(bins + 1);
  for (let i = 0; i < bins; i++) edges[i] = i * step + low;
  edges[bins] = high;
  return edges;
}

function shares(counts: number[], size: number): number[] {
  return counts.map((count) => count / size);
}

function distinctAtMost(sorted: ArrayLike<number>, limit: number): boolean {
  let distinct = 0;
  for (let i = 0; i < sorted.length; i++) {
    if (i === 0 || sorted[i] !== sorted[i - 1]) distinct++;
    if (distinct > limit) return false;
  }
  return true;
}

/** One bin per value either side holds (ascending: the order does not change any statistic). */
function valueShares(referenceSorted: ArrayLike<number>, windowSorted: ArrayLike<number>): EvidentlyShares {
  const reference: number[] = [];
  const window: number[] = [];
  let i = 0;
  let j = 0;
  while (i < referenceSorted.length || j < windowSorted.length) {
    const x = Math.min(
      i < referenceSorted.length ? referenceSorted[i]! : Number.POSITIVE_INFINITY,
      j < windowSorted.length ? windowSorted[j]! : Number.POSITIVE_INFINITY,
    );
    let r = 0;
    let w = 0;
    while (i < referenceSorted.length && referenceSorted[i] === x) {
      r++;
      i++;
    }
    while (j < windowSorted.length && windowSorted[j] === x) {
      w++;
      j++;
    }
    reference.push(r / referenceSorted.length);
    window.push(w / windowSorted.length);
  }
  return { reference, window };
}

/**
 * Evidently's zero fill before PSI (`feel_zeroes`): each side's empty bins get 1e-4, or a
 * millionth of that side's smallest non-zero share when that share is at most 1e-4.
 */
export function fillEmptyShares(shares: readonly number[]): number[] {
  let smallest = Number.POSITIVE_INFINITY;
  for (const share of shares) if (share > 0 && share < smallest) smallest = share;
  const fill = smallest <= 1e-4 ? smallest / 1e6 : 1e-4;
  return shares.map((share) => (share === 0 ? fill : share));
}
