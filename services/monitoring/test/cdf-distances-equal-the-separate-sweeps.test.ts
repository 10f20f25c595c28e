// KS D and Wasserstein-1 from the one shared sweep equal, bit for bit, the two textbook sweeps
// (each distinct value of the merge stepped past on both sides at once), ties and unequal sizes included.
import { seededRandom } from '@flywheel/ml';
import { describe, expect, it } from 'vitest';
import { empiricalCdfDistances } from '../src/statistics/empirical-cdf-distances.ts';
import { sortDoubles } from '../src/statistics/sort-doubles.ts';

function ksByDistinctValues(a: Float64Array, b: Float64Array): number {
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < a.length && j < b.length) {
    const x = Math.min(a[i]!, b[j]!);
    while (i < a.length && a[i]! <= x) i++;
    while (j < b.length && b[j]! <= x) j++;
    d = Math.max(d, Math.abs(i / a.length - j / b.length));
  }
  return d;
}

function wassersteinByDistinctValues(a: Float64Array, b: Float64Array): number {
  let i = 0;
  let j = 0;
  let previous = Math.min(a[0]!, b[0]!);
  let area = 0;
  while (i < a.length || j < b.length) {
    const x = Math.min(
      i < a.length ? a[i]! : Number.POSITIVE_INFINITY,
      j < b.length ? b[j]! : Number.POSITIVE_INFINITY,
    );
    area += Math.abs(i / a.length - j / b.length) * (x - previous);
    while (i < a.length && a[i]! <= x) i++;
    while (j < b.length && b[j]! <= x) j++;
    previous = x;
  }
  return area;
}

describe('empiricalCdfDistances', () => {
  const u = seededRandom(11);
  const normal = () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
  it.each([
    ['normal, shifted', 5_000, 2_000, () => normal(), () => normal() + 0.1],
    [
      'rounded (ties on both sides)',
      4_000,
      3_000,
      () => Math.round(normal() * 3),
      () => Math.round(normal() * 3 + 1),
    ],
    [
      'signed zeros and a shared top value',
      300,
      700,
      () => [0, -0, 1, 2][Math.floor(u() * 4)]!,
      () => [-0, 2][Math.floor(u() * 2)]!,
    ],
    ['one value each side', 1, 1, () => 1, () => 2],
    ['B entirely above A', 50, 80, () => u(), () => 5 + u()],
    ['B inside A', 1_000, 20, () => normal(), () => u() / 10],
  ])('%s', (_name, n, m, drawA, drawB) => {
    const a = sortDoubles(Float64Array.from({ length: n }, drawA));
    const b = sortDoubles(Float64Array.from({ length: m }, drawB));
    for (const [x, y] of [
      [a, b],
      [b, a],
    ] as const) {
      const { ks, wasserstein } = empiricalCdfDistances(x, y);
      expect(Object.is(ks, ksByDistinctValues(x, y))).toBe(true);
      expect(Object.is(wasserstein, wassersteinByDistinctValues(x, y))).toBe(true);
    }
  });
});
