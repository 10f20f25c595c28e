// The drift statistics against values from published tables and hand computation.
import { describe, expect, it } from 'vitest';
import { chiSquareHomogeneity } from '../src/statistics/chi-square.ts';
import { binCounts, binIndex, quantileBinEdges } from '../src/statistics/histogram.ts';
import { chiSquareSurvival, lnGamma, regularizedGammaQ } from '../src/statistics/incomplete-gamma.ts';
import { jensenShannonDistance } from '../src/statistics/jensen-shannon.ts';
import { kolmogorovSurvival, ksStatistic, ksTwoSample } from '../src/statistics/kolmogorov-smirnov.ts';
import { populationStabilityIndex } from '../src/statistics/population-stability-index.ts';
import { evenQuantiles, quantileSorted, sampleFromQuantiles } from '../src/statistics/quantiles.ts';
import { wasserstein1 } from '../src/statistics/wasserstein.ts';

describe('Kolmogorov distribution', () => {
  it('matches the tabulated survival function (scipy.special.kolmogorov) on both series', () => {
    expect(kolmogorovSurvival(0.5)).toBeCloseTo(0.9639452436648751, 12);
    expect(kolmogorovSurvival(1)).toBeCloseTo(0.26999967167735456, 12);
    expect(kolmogorovSurvival(2)).toBeCloseTo(0.0006709252557796953, 14);
  });

  it('gives the classic critical values: 1.224 → 0.10, 1.358 → 0.05, 1.628 → 0.01', () => {
    expect(kolmogorovSurvival(1.2239)).toBeCloseTo(0.1, 3);
    expect(kolmogorovSurvival(1.3581)).toBeCloseTo(0.05, 4);
    expect(kolmogorovSurvival(1.6276)).toBeCloseTo(0.01, 4);
  });

  it('is continuous where it switches series and bounded by [0, 1]', () => {
    // The density there is about 0.58, so 0.0002 apart the values differ by about 0.000116.
    expect(Math.abs(kolmogorovSurvival(1.1799) - kolmogorovSurvival(1.1801) - 0.000116)).toBeLessThan(2e-6);
    expect(kolmogorovSurvival(0)).toBe(1);
    expect(kolmogorovSurvival(0.05)).toBe(1);
    expect(kolmogorovSurvival(10)).toBeLessThan(1e-80);
  });
});

describe('two-sample Kolmogorov–Smirnov', () => {
  it('D is the largest gap between the empirical CDFs', () => {
    expect(ksStatistic([1, 2, 3, 4, 5], [6, 7, 8, 9, 10])).toBe(1);
    expect(ksStatistic([1, 2, 3, 4], [1, 2, 3, 4])).toBe(0);
    // F_A(2) = 2/4 while F_B(2) = 0 (B starts at 2.5): D = 0.5.
    expect(ksStatistic([1, 2, 3, 4], [2.5, 3, 4, 5])).toBe(0.5);
  });

  it('steps past tied values on both sides at once', () => {
    // At x = 1 both CDFs jump: A to 3/4, B to 1/4 → D = 0.5, not a spurious 0.75.
    expect(ksStatistic([1, 1, 1, 2], [1, 2, 2, 2])).toBe(0.5);
  });

  // Small samples get the exact p-value, as scipy.stats.ks_2samp (method 'auto') does; the
  // asymptotic λ = (√nₑ + 0.12 + 0.11/√nₑ)·D of Stephens gave 0.00378 here, half the truth.
  it('p-value: D = 1 with n = m = 5 is exact: 2 / C(10, 5) = 0.0079365 (scipy)', () => {
    const { statistic, pValue } = ksTwoSample([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]);
    expect(statistic).toBe(1);
    expect(pValue).toBeCloseTo(2 / 252, 15);
  });

  it('p-value: D = 0.1 with n = m = 1000 is exact: 8.974277567313009e-05 (scipy; drift), D = 0.03 is not', () => {
    const a = Array.from({ length: 1000 }, (_, i) => i);
    const shifted = a.map((x) => x + 100);
    const result = ksTwoSample(a, shifted);
    expect(result.statistic).toBeCloseTo(0.1, 10);
    expect(result.pValue).toBeCloseTo(8.974277567313009e-5, 15);
    expect(result.pValue).toBeLessThan(1e-4);
    expect(
      ksTwoSample(
        a,
        a.map((x) => x + 30),
      ).pValue,
    ).toBeGreaterThan(0.05);
  });
});

describe('incomplete gamma and the chi-square distribution', () => {
  it('ln Γ matches factorials and Γ(1/2) = √π', () => {
    expect(lnGamma(5)).toBeCloseTo(Math.log(24), 12);
    expect(lnGamma(10)).toBeCloseTo(Math.log(362880), 11);
    expect(lnGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 12);
  });

  it('Q(1, x) = e^-x exactly, so chi-square with 2 dof has p = e^(-χ²/2)', () => {
    for (const x of [0.1, 1, 3, 20]) expect(regularizedGammaQ(1, x)).toBeCloseTo(Math.exp(-x), 13);
    expect(chiSquareSurvival(6, 2)).toBeCloseTo(Math.exp(-3), 13);
  });

  it('gives the tabulated critical values across dof (series and continued fraction)', () => {
    expect(chiSquareSurvival(3.841, 1)).toBeCloseTo(0.05, 4);
    expect(chiSquareSurvival(6.635, 1)).toBeCloseTo(0.01, 4);
    expect(chiSquareSurvival(11.345, 3)).toBeCloseTo(0.01, 4);
    expect(chiSquareSurvival(18.307, 10)).toBeCloseTo(0.05, 4);
    expect(chiSquareSurvival(23.209, 10)).toBeCloseTo(0.01, 4);
    expect(chiSquareSurvival(124.342, 100)).toBeCloseTo(0.05, 4);
  });

  it('is 1 at 0 and vanishes far out', () => {
    expect(chiSquareSurvival(0, 4)).toBe(1);
    expect(chiSquareSurvival(1000, 3)).toBeLessThan(1e-200);
  });

  it('rejects a domain it does not cover', () => {
    expect(() => regularizedGammaQ(0, 1)).toThrow(RangeError);
    expect(() => regularizedGammaQ(1, -1)).toThrow(RangeError);
  });
});

describe('chi-square test of homogeneity', () => {
  it('hand-computed 2×2 table: [30, 10] vs [20, 20] → χ² = 5.333, 1 dof, p ≈ 0.0209', () => {
    // Margins: rows 40/40, columns 50/30; expected 25/15 on both rows.
    // χ² = (5²/25 + 5²/15) · 2 = 5.3333.
    const { statistic, pValue, dof } = chiSquareHomogeneity([30, 10], [20, 20]);
    expect(statistic).toBeCloseTo(16 / 3, 10);
    expect(dof).toBe(1);
    expect(pValue).toBeCloseTo(0.020921, 5);
  });

  it('proportional samples give χ² = 0 and p = 1; a category only one side has counts', () => {
    const same = chiSquareHomogeneity([10, 20, 30], [100, 200, 300]);
    expect(same.statistic).toBeCloseTo(0, 12);
    expect(same.pValue).toBeCloseTo(1, 12);
    const novel = chiSquareHomogeneity([50, 50, 0], [40, 40, 20]);
    expect(novel.dof).toBe(2);
    expect(novel.pValue).toBeLessThan(0.001);
  });

  it('a single category seen leaves nothing to test', () => {
    expect(chiSquareHomogeneity([5, 0], [7, 0])).toEqual({ statistic: 0, pValue: 1, dof: 0 });
  });
});

describe('population stability index', () => {
  it('is 0 for identical proportions, whatever the totals', () => {
    expect(populationStabilityIndex([10, 20, 30, 40], [10, 20, 30, 40])).toBe(0);
    expect(populationStabilityIndex([10, 20, 30, 40], [100, 200, 300, 400])).toBeCloseTo(0, 14);
  });

  it('hand-computed: [0.5, 0.5] vs [0.25, 0.75] → 0.25·ln2 + 0.25·ln(2/3)... = 0.2747', () => {
    // (0.25 − 0.5)·ln(0.25/0.5) + (0.75 − 0.5)·ln(0.75/0.5) = 0.25·ln 2 + 0.25·ln 1.5
    expect(populationStabilityIndex([50, 50], [25, 75])).toBeCloseTo(
      0.25 * Math.log(2) + 0.25 * Math.log(1.5),
      12,
    );
  });

  it('an empty bin costs a bounded amount thanks to the epsilon floor', () => {
    const psi = populationStabilityIndex([50, 50], [100, 0]);
    expect(Number.isFinite(psi)).toBe(true);
    // (1e-4 − 0.5)·ln(1e-4 / 0.5) + (1 − 0.5)·ln(1 / 0.5)
    expect(psi).toBeCloseTo((0.5 - 1e-4) * Math.log(0.5 / 1e-4) + 0.5 * Math.log(2), 10);
  });
});

describe('Jensen–Shannon distance', () => {
  it('is 0 for identical, 1 for disjoint distributions (base 2)', () => {
    expect(jensenShannonDistance([1, 2, 3], [2, 4, 6])).toBeCloseTo(0, 12);
    expect(jensenShannonDistance([1, 0], [0, 1])).toBeCloseTo(1, 12);
  });

  it('hand-computed: [1, 0] vs [0.5, 0.5] → √(½·log2(4/3) + ¼·log2(2/3) + ¼·log2 2) ≈ 0.5579', () => {
    // M = [0.75, 0.25]: KL(P‖M) = log2(1/0.75); KL(Q‖M) = 0.5·log2(0.5/0.75) + 0.5·log2(0.5/0.25).
    const divergence = 0.5 * Math.log2(1 / 0.75) + 0.5 * (0.5 * Math.log2(0.5 / 0.75) + 0.5 * Math.log2(2));
    expect(jensenShannonDistance([10, 0], [5, 5])).toBeCloseTo(Math.sqrt(divergence), 12);
  });
});

describe('Wasserstein-1', () => {
  it('matches scipy.stats.wasserstein_distance([0, 1, 3], [5, 6, 8]) = 5', () => {
    expect(wasserstein1([0, 1, 3], [5, 6, 8])).toBeCloseTo(5, 12);
  });

  it('is 0 for equal samples, the shift for a shifted one, and handles unequal sizes', () => {
    expect(wasserstein1([1, 2, 3], [1, 2, 3])).toBe(0);
    expect(wasserstein1([1, 2, 3], [3.5, 4.5, 5.5])).toBeCloseTo(2.5, 12);
    // F_A steps 0 → ½ → 1 at 0 and 1; F_B is 0 until 1: area = ½ · 1.
    expect(wasserstein1([0, 1], [1])).toBeCloseTo(0.5, 12);
  });
});

describe('quantiles and bins', () => {
  it('interpolates linearly between order statistics (type 7)', () => {
    const sorted = [1, 2, 3, 4];
    expect(quantileSorted(sorted, 0)).toBe(1);
    expect(quantileSorted(sorted, 0.5)).toBe(2.5);
    expect(quantileSorted(sorted, 1)).toBe(4);
    expect(evenQuantiles([0, 10], 4)).toEqual([0, 2.5, 5, 7.5, 10]);
    expect(sampleFromQuantiles([0, 10], 4)).toEqual([1.25, 3.75, 6.25, 8.75]);
  });

  it('cuts equal-frequency bins with open ends and collapses ties', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i);
    const edges = quantileBinEdges(sorted, 10);
    expect(edges).toHaveLength(11);
    expect(binCounts(edges, sorted)).toEqual([10, 10, 10, 10, 10, 10, 10, 10, 10, 10]);
    expect(binIndex(edges, -1000)).toBe(0);
    expect(binIndex(edges, 1000)).toBe(9);
    const mostlyZero = [...new Array(80).fill(0), ...Array.from({ length: 20 }, (_, i) => i + 1)];
    const tied = quantileBinEdges(mostlyZero, 10);
    expect(tied[0]).toBe(0);
    expect(new Set(tied).size).toBe(tied.length);
    expect(quantileBinEdges([7, 7, 7], 10)).toEqual([7, 7]);
    expect(binCounts([7, 7], [7, 7, 7])).toEqual([3]);
  });
});
