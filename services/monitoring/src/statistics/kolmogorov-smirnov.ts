/** A test statistic with its p-value. */
export interface TestOutcome {
  statistic: number;
  pValue: number;
}

/**
 * The survival function of the Kolmogorov distribution, P(K > λ) =
 * 2 Σ_{j≥1} (−1)^{j−1} e^{−2 j² λ²}. For λ < 1.18 that series converges slowly, so the
 * complementary Jacobi-theta form P(K ≤ λ) = (√(2π) / λ) Σ_{j≥1} e^{−(2j−1)² π² / (8 λ²)} is used.
 */
export function kolmogorovSurvival(lambda: number): number {
  if (!(lambda > 0)) return 1;
  if (lambda < 1.18) {
    const factor = (Math.PI * Math.PI) / (8 * lambda * lambda);
    let cdf = 0;
    for (let j = 1; j <= 20; j++) {
      const odd = 2 * j - 1;
      const term = Math.exp(-odd * odd * factor);
      cdf += term;
      if (term < 1e-17 * cdf) break;
    }
    return clamp01(1 - (Math.sqrt(2 * Math.PI) / lambda) * cdf);
  }
  let survival = 0;
  for (let j = 1; j <= 100; j++) {
    const term = Math.exp(-2 * j * j * lambda * lambda);
    survival += j % 2 === 1 ? term : -term;
    if (term < 1e-17) break;
  }
  return clamp01(2 * survival);
}

/**
 * The largest distance between the empirical CDFs of two ascending samples (ties handled: both
 * CDFs step past a shared value together). Both must be non-empty.
 */
export function ksStatistic(sortedA: ArrayLike<number>, sortedB: ArrayLike<number>): number {
  const n = sortedA.length;
  const m = sortedB.length;
  if (n === 0 || m === 0) throw new RangeError('KS needs two non-empty samples');
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < n && j < m) {
    const x = Math.min(sortedA[i]!, sortedB[j]!);
    while (i < n && sortedA[i]! <= x) i++;
    while (j < m && sortedB[j]! <= x) j++;
    d = Math.max(d, Math.abs(i / n - j / m));
  }
  return d;
}

/**
 * Two-sample Kolmogorov–Smirnov test of ascending samples: D and its asymptotic two-sided
 * p-value P(K > (√nₑ + 0.12 + 0.11/√nₑ) · D) with nₑ = n·m/(n+m) (Stephens' correction, as in
 * Numerical Recipes §14.3), good from about nₑ ≥ 4. A small p-value means the samples come from
 * different distributions.
 */
export function ksTwoSample(sortedA: ArrayLike<number>, sortedB: ArrayLike<number>): TestOutcome {
  const statistic = ksStatistic(sortedA, sortedB);
  const n = sortedA.length;
  const m = sortedB.length;
  const en = Math.sqrt((n * m) / (n + m));
  return { statistic, pValue: kolmogorovSurvival((en + 0.12 + 0.11 / en) * statistic) };
}

function clamp01(value: number): number {
  return Math.min(1, Math.max(0, value));
}
