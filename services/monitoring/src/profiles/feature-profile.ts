import type { FeatureKindName, FeatureSourceName } from '../records/monitor-records.ts';
import { type FeatureProfileRecord, otherCategory } from '../records/profile-records.ts';
import type { SampleValue } from '../records/window-records.ts';
import { binCountsSorted, referenceBinEdges } from '../statistics/histogram.ts';
import { evenQuantiles } from '../statistics/quantiles.ts';
import { meanAndStddev, referenceSample } from '../statistics/reference-sample.ts';
import { sortDoubles } from '../statistics/sort-doubles.ts';

/** Bounds of a computed profile. */
export interface ProfileLimits {
  /** Equal-frequency bins for PSI and Jensen–Shannon. Default 10. */
  bins?: number;
  /** Values kept for KS and Wasserstein; larger data is represented by that many block means. Default 100 000. */
  sampleSize?: number;
  /** Categories kept; the rarer ones are folded into `__other__`. Default 100. */
  maxCategories?: number;
}

/**
 * The reference profile of one column: non-missing count, missing count and — for a numeric
 * column with at least one value — min/max/mean/stddev (population), equal-frequency bin edges
 * with counts (one bin per value and gap for a feature with few distinct values), 101 quantiles
 * and the sorted data (block means beyond `sampleSize`); for a categorical column the category
 * counts (top `maxCategories`, the rest folded into `__other__`). Values that do not fit the kind
 * (see `sampleOf`) must already be null.
 */
export function profileColumn(
  name: string,
  kind: FeatureKindName,
  source: FeatureSourceName,
  values: readonly SampleValue[],
  limits: ProfileLimits = {},
): FeatureProfileRecord {
  return kind === 'numeric'
    ? profileNumeric(name, source, values, limits)
    : profileCategorical(name, source, values, limits);
}

function profileNumeric(
  name: string,
  source: FeatureSourceName,
  values: readonly SampleValue[],
  limits: ProfileLimits,
): FeatureProfileRecord {
  const numbers = new Float64Array(values.length);
  let count = 0;
  for (const value of values) if (typeof value === 'number') numbers[count++] = value;
  return profileNumericValues(
    name,
    source,
    sortDoubles(numbers.subarray(0, count)),
    values.length - count,
    limits,
  );
}

/**
 * The numeric profile of a column given as its ascending finite values (`sorted`, which it keeps
 * no reference to beyond the call) and how many were missing — {@link profileColumn} without the
 * per-value samples, for a caller that already holds the numbers.
 */
export function profileNumericValues(
  name: string,
  source: FeatureSourceName,
  sorted: Float64Array,
  missingCount: number,
  limits: ProfileLimits = {},
): FeatureProfileRecord {
  const base = {
    name,
    kind: 'numeric' as const,
    source,
    count: sorted.length,
    missingCount,
  };
  if (sorted.length === 0) return base;
  const { mean, stddev } = meanAndStddev(sorted);
  const edges = referenceBinEdges(sorted, limits.bins ?? 10);
  const sample = referenceSample(sorted, limits.sampleSize ?? 100_000);
  return {
    ...base,
    numeric: {
      min: sorted[0]!,
      max: sorted[sorted.length - 1]!,
      mean,
      stddev,
      binEdges: edges,
      binCounts: binCountsSorted(edges, sorted),
      quantiles: evenQuantiles(sorted, 100),
      sample: sample.values,
      sampleKind: sample.kind,
      sampleWassersteinError: sample.wassersteinError,
    },
  };
}

function profileCategorical(
  name: string,
  source: FeatureSourceName,
  values: readonly SampleValue[],
  limits: ProfileLimits,
): FeatureProfileRecord {
  const counts = new Map<string, number>();
  let missing = 0;
  for (const value of values) {
    if (value === null) missing++;
    else counts.set(String(value), (counts.get(String(value)) ?? 0) + 1);
  }
  return {
    name,
    kind: 'categorical',
    source,
    count: values.length - missing,
    missingCount: missing,
    categorical: { counts: foldRareCategories(counts, limits.maxCategories ?? 100) },
  };
}

/** The `max` most frequent categories (ties by name), the rest summed into `__other__`. */
export function foldRareCategories(counts: ReadonlyMap<string, number>, max: number): Record<string, number> {
  const ranked = [...counts].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0));
  const kept: Record<string, number> = {};
  for (const [category, count] of ranked.slice(0, max)) kept[category] = count;
  const rest = ranked.slice(max).reduce((total, [, count]) => total + count, 0);
  if (rest > 0) kept[otherCategory] = (kept[otherCategory] ?? 0) + rest;
  return kept;
}
