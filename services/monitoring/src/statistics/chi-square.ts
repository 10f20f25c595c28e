import { chiSquareSurvival } from './incomplete-gamma.ts';
import type { TestOutcome } from './kolmogorov-smirnov.ts';

/** A chi-square outcome with its degrees of freedom. */
export interface ChiSquareOutcome extends TestOutcome {
  dof: number;
}

/**
 * Pearson's chi-square test of homogeneity for two samples of categories given as counts over
 * the same categories (a 2 × k contingency table): Σ (O − E)² / E with E from the margins,
 * k' − 1 degrees of freedom over the k' categories seen on either side. A category only one side
 * has is fine (its expected count on the other side is positive). Fewer than two categories seen
 * means nothing to compare: statistic 0, p-value 1. Throws RangeError when either side is empty.
 */
export function chiSquareHomogeneity(
  countsA: readonly number[],
  countsB: readonly number[],
): ChiSquareOutcome {
  if (countsA.length !== countsB.length) throw new RangeError('both samples need the same categories');
  let totalA = 0;
  let totalB = 0;
  for (let i = 0; i < countsA.length; i++) {
    totalA += countsA[i]!;
    totalB += countsB[i]!;
  }
  if (totalA <= 0 || totalB <= 0) throw new RangeError('chi-square needs counts on both sides');
  const grand = totalA + totalB;
  let statistic = 0;
  let categories = 0;
  for (let i = 0; i < countsA.length; i++) {
    const column = countsA[i]! + countsB[i]!;
    if (column === 0) continue;
    categories++;
    const expectedA = (totalA * column) / grand;
    const expectedB = (totalB * column) / grand;
    statistic += (countsA[i]! - expectedA) ** 2 / expectedA + (countsB[i]! - expectedB) ** 2 / expectedB;
  }
  const dof = categories - 1;
  if (dof < 1) return { statistic: 0, pValue: 1, dof: 0 };
  return { statistic, pValue: chiSquareSurvival(statistic, dof), dof };
}

/**
 * Pearson's chi-square goodness-of-fit test of `observed` counts to `expected` counts over the
 * same categories (`scipy.stats.chisquare`, Evidently's form with expected = reference counts ·
 * window size / reference size): Σ (O − E)² / E, k − 1 degrees of freedom. A category observed but
 * never expected makes the statistic +∞ and the p-value 0, as scipy's; a single category gives
 * statistic 0, p-value 1 (scipy: NaN, no test).
 */
export function chiSquareGoodnessOfFit(
  observed: readonly number[],
  expected: readonly number[],
): ChiSquareOutcome {
  if (observed.length !== expected.length)
    throw new RangeError('observed and expected need the same categories');
  const dof = observed.length - 1;
  if (dof < 1) return { statistic: 0, pValue: 1, dof: 0 };
  let statistic = 0;
  for (let i = 0; i < observed.length; i++) {
    const e = expected[i]!;
    const difference = observed[i]! - e;
    statistic += e === 0 ? (difference === 0 ? 0 : Number.POSITIVE_INFINITY) : (difference * difference) / e;
  }
  return { statistic, pValue: Number.isFinite(statistic) ? chiSquareSurvival(statistic, dof) : 0, dof };
}
