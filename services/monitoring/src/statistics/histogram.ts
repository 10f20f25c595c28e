import { quantileSorted } from './quantiles.ts';

/**
 * Equal-frequency bin edges of ascending `sorted`: min, the interior quantiles i/bins that fall
 * strictly between the previous edge and the max, then max. Ties collapse bins, so there may be
 * fewer than `bins` (at least one: `[v, v]` for a constant sample). `sorted` must not be empty.
 */
export function quantileBinEdges(sorted: ArrayLike<number>, bins = 10): number[] {
  const min = sorted[0]!;
  const max = sorted[sorted.length - 1]!;
  const edges = [min];
  for (let i = 1; i < bins; i++) {
    const edge = quantileSorted(sorted, i / bins);
    if (edge > edges[edges.length - 1]! && edge < max) edges.push(edge);
  }
  edges.push(max);
  return edges;
}

/**
 * The bin edges a reference profile keeps for ascending `sorted` (not empty). With at most `bins`
 * distinct values (a flag, a count, a constant) each value gets a bin of its own and so does each
 * gap around and between them — edges v₁, v₁, v₁⁺, v₂, v₂⁺, …, v_k, v_k⁺, v_k⁺ (v⁺ the next double
 * up), so bins are (−∞, v₁), {v₁}, (v₁, v₂), {v₂}, …, {v_k}, (v_k, ∞) — and any change of share or
 * any new value shows. Otherwise the equal-frequency edges of {@link quantileBinEdges}.
 */
export function referenceBinEdges(sorted: ArrayLike<number>, bins = 10): number[] {
  const distinct: number[] = [];
  for (let i = 0; i < sorted.length && distinct.length <= bins; i++) {
    if (i === 0 || sorted[i]! !== sorted[i - 1]!) distinct.push(sorted[i]!);
  }
  if (distinct.length > bins) return quantileBinEdges(sorted, bins);
  const edges = [distinct[0]!];
  for (const value of distinct) edges.push(value, nextUp(value));
  edges.push(edges[edges.length - 1]!);
  return edges;
}

/** The smallest double above `value` (finite input). */
export function nextUp(value: number): number {
  if (value === 0) return Number.MIN_VALUE;
  const buffer = new DataView(new ArrayBuffer(8));
  buffer.setFloat64(0, value);
  const bits = buffer.getBigInt64(0);
  buffer.setBigInt64(0, value > 0 ? bits + 1n : bits - 1n);
  return buffer.getFloat64(0);
}

/**
 * The bin of `value` among `edges` (n + 1 ascending edges, n bins): bin i holds
 * [edges[i], edges[i+1]); the first and last bins are open-ended, so every value has a bin.
 */
export function binIndex(edges: readonly number[], value: number): number {
  // Count the interior edges ≤ value (binary search for the upper bound).
  let low = 1;
  let high = edges.length - 1;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (edges[middle]! <= value) low = middle + 1;
    else high = middle;
  }
  return low - 1;
}

/** How many of `values` fall in each bin of `edges` (see {@link binIndex}). */
export function binCounts(edges: readonly number[], values: ArrayLike<number>): number[] {
  const counts = new Array<number>(Math.max(edges.length - 1, 1)).fill(0);
  for (let i = 0; i < values.length; i++) counts[binIndex(edges, values[i]!)]!++;
  return counts;
}

/**
 * {@link binCounts} of ascending `sorted`, in one sweep instead of a search per value (the same
 * counts: bin i holds [edges[i], edges[i+1]), the first and last open-ended).
 */
export function binCountsSorted(edges: readonly number[], sorted: ArrayLike<number>): number[] {
  const bins = Math.max(edges.length - 1, 1);
  const counts = new Array<number>(bins).fill(0);
  let bin = 0;
  let start = 0;
  for (let i = 0; i < sorted.length; i++) {
    // Bin of x: the number of interior edges ≤ x (edges[1 … bins − 1]).
    while (bin < bins - 1 && edges[bin + 1]! <= sorted[i]!) {
      counts[bin]! += i - start;
      start = i;
      bin++;
    }
  }
  counts[bin]! += sorted.length - start;
  return counts;
}
