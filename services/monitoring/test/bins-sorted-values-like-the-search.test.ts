// The hot path's shortcut gives exactly what the plain form gives: the sweep over sorted values
// counts bins as the binary search does.
import { describe, expect, it } from 'vitest';
import { binCounts, binCountsSorted, referenceBinEdges } from '../src/statistics/histogram.ts';
import { draw, generator } from './drift-cases.ts';

describe('binCountsSorted', () => {
  it.each([
    ['continuous', draw(20_000, 5, (g) => g.normal())],
    ['ties', draw(5000, 6, (g) => Math.round(g.normal() * 2))],
    ['binary', draw(1000, 7, (g) => (g.uniform() < 0.3 ? 1 : 0))],
  ])('counts %s values as binCounts does', (_name, reference) => {
    const sorted = Float64Array.from(reference).sort();
    const edges = referenceBinEdges(sorted, 10);
    const g = generator(9);
    const window = Float64Array.from({ length: 3000 }, () => (g.normal() + 0.3) * 3).sort();
    expect(binCountsSorted(edges, sorted)).toEqual(binCounts(edges, sorted));
    expect(binCountsSorted(edges, window)).toEqual(binCounts(edges, window));
    expect(binCountsSorted(edges, Float64Array.of(edges[0]! - 1))).toEqual(binCounts(edges, [edges[0]! - 1]));
  });
});
