import { empiricalCdfDistances } from './empirical-cdf-distances.ts';
import { kolmogorovSurvivalN } from './kolmogorov-distribution.ts';

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
  return empiricalCdfDistances(sortedA, sortedB).ks;
}

/** Above this size of the larger sample the p-value is asymptotic (scipy's `MAX_AUTO_N`). */
export const ksExactMaxSize = 10_000;

/**
 * Two-sample Kolmogorov–Smirnov test of ascending samples, two-sided, as `scipy.stats.ks_2samp`
 * with method 'auto': when both sizes are at most {@link ksExactMaxSize} the exact p-value of
 * D over the lattice paths (Hodges' inside method with Viehmann's 1 − p recursion; the n = m
 * closed form), D being rounded to a multiple of 1/lcm(n, m); otherwise, or when the exact
 * computation under- or overflows, kstwo.sf(D, round(n·m/(n+m))). `sizeB` is B's true size when
 * `sortedB` only stands for a larger sample (a summary of the reference): the p-value then uses
 * it. A small p-value means the samples come from different distributions.
 */
export function ksTwoSample(
  sortedA: ArrayLike<number>,
  sortedB: ArrayLike<number>,
  sizeB: number = sortedB.length,
): TestOutcome {
  return ksTestOf(ksStatistic(sortedA, sortedB), sortedA.length, sizeB);
}

/**
 * {@link ksTwoSample} of samples of sizes `n` and `m` whose D is already known (from
 * `empiricalCdfDistances`, when the same sweep also gave a Wasserstein distance).
 */
export function ksTestOf(statistic: number, n: number, m: number): TestOutcome {
  if (Math.max(n, m) <= ksExactMaxSize) {
    const exact = exactKsPValue(n, m, statistic);
    if (exact) return exact;
  }
  const [large, few] = n >= m ? [n, m] : [m, n];
  const en = Math.round((large * few) / (large + few));
  return { statistic, pValue: kolmogorovSurvivalN(Math.max(en, 1), statistic) };
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** The exact two-sided p-value of D for sizes n and m; undefined when floating point fails. */
function exactKsPValue(n: number, m: number, d: number): TestOutcome | undefined {
  const g = gcd(n, m);
  const lcm = (n / g) * m;
  const h = Math.round(d * lcm);
  const statistic = h / lcm;
  if (h === 0) return { statistic, pValue: 1 };
  const p = n === m ? probabilityOutsideSquare(n, h) : probabilityOutsideInside(n, m, g, h);
  if (!Number.isFinite(p) || p < 0 || p > 1) return undefined;
  return { statistic, pValue: p };
}

/** P(D_{n,n} ≥ h/n) = 2 Σ_k (−1)^{k−1} C(2n, n − k·h)/C(2n, n), in Horner form (no cancellation). */
function probabilityOutsideSquare(n: number, h: number): number {
  let p = 0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let term = 1;
    for (let j = 0; j < h; j++) term = ((n - k * h - j) * term) / (n + k * h + j + 1);
    p = term * (1 - p);
  }
  return 2 * p;
}

/**
 * The share of lattice paths from (0, 0) to (m, n) that leave the band |x/m − y/n| < h/lcm,
 * computed column by column over a sliding window as 1 − (paths inside) so that it stays
 * accurate for small p (Viehmann 2021).
 */
function probabilityOutsideInside(n1: number, n2: number, g: number, h: number): number {
  const [m, n] = n1 >= n2 ? [n1, n2] : [n2, n1];
  const mg = m / g;
  const ng = n / g;
  let minJ = 0;
  let maxJ = Math.min(Math.ceil(h / mg), n + 1);
  let currentLength = maxJ - minJ;
  const a = new Float64Array(Math.min(2 * maxJ + 2, n + 1)).fill(1);
  a.fill(0, minJ, maxJ);
  for (let i = 1; i <= m; i++) {
    const lastMinJ = minJ;
    const lastLength = currentLength;
    minJ = Math.min(Math.max(Math.floor((ng * i - h) / mg) + 1, 0), n);
    maxJ = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxJ <= minJ) return 1;
    let value = minJ === 0 ? 0 : 1;
    for (let jj = 0; jj < maxJ - minJ; jj++) {
      const j = jj + minJ;
      value = (a[jj + minJ - lastMinJ]! * i + value * j) / (i + j);
      a[jj] = value;
    }
    currentLength = maxJ - minJ;
    if (lastLength > currentLength) a.fill(1, maxJ - minJ, maxJ - minJ + (lastLength - currentLength));
  }
  return a[maxJ - minJ - 1]!;
}

function clamp01(value: number): number {
  return Math.min(1, Math.max(0, value));
}
