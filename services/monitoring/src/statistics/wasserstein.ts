/**
 * Wasserstein-1 (earth mover's) distance between the empirical distributions of two ascending
 * samples: ∫ |F_A(x) − F_B(x)| dx, in the samples' unit. Both must be non-empty.
 */
export function wasserstein1(sortedA: ArrayLike<number>, sortedB: ArrayLike<number>): number {
  const n = sortedA.length;
  const m = sortedB.length;
  if (n === 0 || m === 0) throw new RangeError('Wasserstein needs two non-empty samples');
  let i = 0;
  let j = 0;
  let previous = Math.min(sortedA[0]!, sortedB[0]!);
  let area = 0;
  while (i < n || j < m) {
    const x = Math.min(
      i < n ? sortedA[i]! : Number.POSITIVE_INFINITY,
      j < m ? sortedB[j]! : Number.POSITIVE_INFINITY,
    );
    // Between the previous point and x both CDFs are flat at i/n and j/m.
    area += Math.abs(i / n - j / m) * (x - previous);
    while (i < n && sortedA[i]! <= x) i++;
    while (j < m && sortedB[j]! <= x) j++;
    previous = x;
  }
  return area;
}
