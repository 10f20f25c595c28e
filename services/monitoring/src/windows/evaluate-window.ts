import type {
  CurrentDistributionRecord,
  DriftResultRecord,
  TestResultRecord,
} from '../records/evaluation-records.ts';
import {
  type DriftTestRecord,
  effectiveMinSamples,
  type MonitoredFeatureRecord,
  type MonitorRecord,
  needsReferenceData,
  pValueTests,
  testsOf,
} from '../records/monitor-records.ts';
import { type FeatureProfileRecord, otherCategory } from '../records/profile-records.ts';
import type { SampleValue } from '../records/window-records.ts';
import { chiSquareGoodnessOfFit, chiSquareHomogeneity } from '../statistics/chi-square.ts';
import { type EvidentlyShares, evidentlyShares, fillEmptyShares } from '../statistics/evidently-shares.ts';
import { jensenShannonDistance } from '../statistics/jensen-shannon.ts';
import { ksTestOf } from '../statistics/kolmogorov-smirnov.ts';
import { populationStabilityIndex, psiOfShares } from '../statistics/population-stability-index.ts';
import { WindowSample } from '../statistics/window-sample.ts';

/** A monitored feature that got no result, and why (logged by the caller). */
export interface SkippedFeature {
  feature: string;
  reason: string;
}

export interface WindowEvaluation {
  results: DriftResultRecord[];
  skipped: SkippedFeature[];
}

/**
 * Compares one closed window with a reference profile, feature by feature and test by test
 * (`testsOf`: the feature's tests, else the monitor's defaults for its kind, else PSI + KS /
 * PSI + chi-square; threshold 0 = typical). A feature is skipped when the profile lacks it or
 * holds another kind, or when the window has fewer than the monitor's min samples of it.
 * `resultId(feature)` names each result. Pure: the same inputs give the same results.
 */
export function evaluateWindow(input: {
  monitor: MonitorRecord;
  profile: readonly FeatureProfileRecord[];
  columns: Readonly<Record<string, readonly SampleValue[]>>;
  resultId: (feature: string) => string;
}): WindowEvaluation {
  const { monitor, profile, columns, resultId } = input;
  const minSamples = effectiveMinSamples(monitor.window);
  const results: DriftResultRecord[] = [];
  const skipped: SkippedFeature[] = [];
  for (const feature of monitor.features) {
    const reference = profile.find((p) => p.name === feature.name);
    if (!reference) {
      skipped.push({ feature: feature.name, reason: 'the reference profile has no such column' });
      continue;
    }
    if (reference.kind !== feature.kind) {
      skipped.push({
        feature: feature.name,
        reason: `monitored as ${feature.kind}, profiled as ${reference.kind}`,
      });
      continue;
    }
    const values = columns[feature.name] ?? [];
    const tests = testsOf(monitor, feature);
    const outcome =
      feature.kind === 'numeric'
        ? numericTests(reference, values, tests, minSamples)
        : categoricalTests(reference, values, tests, minSamples);
    if (typeof outcome === 'string') {
      skipped.push({ feature: feature.name, reason: outcome });
      continue;
    }
    results.push({
      ...resultOf(feature, resultId(feature.name), outcome.sampleCount, reference.count, outcome.tests),
      current: outcome.current,
    });
  }
  return { results, skipped };
}

function resultOf(
  feature: MonitoredFeatureRecord,
  id: string,
  sampleCount: number,
  referenceCount: number,
  tests: TestResultRecord[],
): DriftResultRecord {
  return {
    id,
    feature: feature.name,
    kind: feature.kind,
    sampleCount,
    referenceCount,
    tests,
    drifted: tests.some((t) => t.drifted),
  };
}

type Outcome =
  | { sampleCount: number; tests: TestResultRecord[]; current: CurrentDistributionRecord }
  | string;

function numericTests(
  reference: FeatureProfileRecord,
  values: readonly SampleValue[],
  tests: readonly DriftTestRecord[],
  minSamples: number,
): Outcome {
  const distribution = reference.numeric;
  if (!distribution || reference.count === 0) return 'the reference has no values of it';
  const finite = finiteNumbers(values);
  if (finite.length < minSamples) return `${finite.length} samples, fewer than the ${minSamples} needed`;
  // Sorted only if a test needs the order (KS, Wasserstein: one sweep for both); bins just count.
  const window = new WindowSample(finite);
  const sampleKind = distribution.sampleKind ?? 'none';
  if (sampleKind === 'none' && tests.some(needsReferenceData)) {
    return 'KS, Wasserstein and Evidently-convention PSI / Jensen–Shannon need the reference data; the profile was set without it';
  }
  // The p-value needs the reference's true size; the sample is the data itself only when exact.
  const referenceSize = sampleKind === 'exact' ? distribution.sample.length : reference.count;
  // Counted once: PSI, Jensen–Shannon and the result's current histogram share them.
  let counts: number[] | undefined;
  const windowCounts = () => (counts ??= window.binCounts(distribution.binEdges));
  // Evidently bins reference and window together (equal width over both): per window, once.
  let shares: EvidentlyShares | undefined;
  const evidently = () => (shares ??= evidentlyShares(distribution.sample, window));
  const judgedTests = tests.map((test) => {
    const isEvidently = test.convention === 'evidently';
    switch (test.kind) {
      case 'psi':
        return isEvidently
          ? judged(
              test,
              psiOfShares(fillEmptyShares(evidently().reference), fillEmptyShares(evidently().window)),
            )
          : judged(test, populationStabilityIndex(distribution.binCounts, windowCounts()));
      case 'jensen_shannon':
        return isEvidently
          ? judged(test, jensenShannonDistance(evidently().reference, evidently().window, 'e'))
          : judged(test, jensenShannonDistance(distribution.binCounts, windowCounts()));
      case 'ks': {
        const d = window.distancesTo(distribution.sample).ks;
        const { statistic, pValue } = ksTestOf(d, window.size, referenceSize);
        return judged(test, statistic, pValue);
      }
      case 'wasserstein': {
        // Scaled by the reference spread so one threshold fits every feature. Flywheel: a
        // constant reference (stddev exactly 0) leaves the distance in the feature's own unit;
        // Evidently divides by max(σ, 0.001).
        const scale = isEvidently
          ? Math.max(distribution.stddev, 0.001)
          : distribution.stddev > 0
            ? distribution.stddev
            : 1;
        return judged(test, window.distancesTo(distribution.sample).wasserstein / scale);
      }
      default:
        throw new RangeError(`${test.kind} does not apply to numeric features`);
    }
  });
  return {
    sampleCount: window.size,
    tests: judgedTests,
    current: {
      numeric: {
        ...momentsOf(finite),
        min: window.min,
        max: window.max,
        binEdges: [...distribution.binEdges],
        binCounts: windowCounts(),
      },
    },
  };
}

/** Mean and (population) standard deviation, in two passes for accuracy. */
function momentsOf(values: Float64Array): { mean: number; stddev: number } {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  const mean = sum / values.length;
  let squares = 0;
  for (let i = 0; i < values.length; i++) squares += (values[i]! - mean) ** 2;
  return { mean, stddev: Math.sqrt(squares / values.length) };
}

/**
 * The finite numbers of `values`, in a buffer kept from one feature (and window) to the next: the
 * tests of one feature are done with them before the next is copied in, and a fresh array per
 * feature (8 bytes a value) would only feed the collector.
 */
let finiteScratch = new Float64Array(0);

function finiteNumbers(values: readonly SampleValue[]): Float64Array {
  if (finiteScratch.length < values.length) finiteScratch = new Float64Array(values.length);
  let count = 0;
  // An indexed loop: `for … of` over a large array costs several times as much here.
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v === 'number' && Number.isFinite(v)) finiteScratch[count++] = v;
  }
  return finiteScratch.subarray(0, count);
}

function categoricalTests(
  reference: FeatureProfileRecord,
  values: readonly SampleValue[],
  tests: readonly DriftTestRecord[],
  minSamples: number,
): Outcome {
  const referenceCounts = reference.categorical?.counts;
  if (!referenceCounts || reference.count === 0) return 'the reference has no values of it';
  const categories = Object.keys(referenceCounts);
  const index = new Map(categories.map((category, i) => [category, i]));
  const windowCounts = new Array<number>(categories.length).fill(0);
  let sampleCount = 0;
  for (const value of values) {
    if (value === null) continue;
    sampleCount++;
    let category = String(value);
    // Categories the reference folded away count as __other__; genuinely new ones get a bin of their own.
    if (!index.has(category) && index.has(otherCategory)) category = otherCategory;
    let i = index.get(category);
    if (i === undefined) {
      i = windowCounts.length;
      index.set(category, i);
      windowCounts.push(0);
    }
    windowCounts[i]!++;
  }
  if (sampleCount < minSamples) return `${sampleCount} samples, fewer than the ${minSamples} needed`;
  const expected = [
    ...categories.map((c) => referenceCounts[c]!),
    ...new Array(windowCounts.length - categories.length).fill(0),
  ];
  const categoryNames = [...index.keys()];
  return {
    sampleCount,
    current: {
      categorical: { counts: Object.fromEntries(categoryNames.map((c, i) => [c, windowCounts[i]!])) },
    },
    tests: tests.map((test) => {
      switch (test.kind) {
        case 'psi':
          return test.convention === 'evidently'
            ? judged(
                test,
                psiOfShares(fillEmptyShares(shares(expected)), fillEmptyShares(shares(windowCounts))),
              )
            : judged(test, populationStabilityIndex(expected, windowCounts));
        case 'jensen_shannon':
          return judged(
            test,
            jensenShannonDistance(expected, windowCounts, test.convention === 'evidently' ? 'e' : 2),
          );
        case 'chi_square': {
          // Evidently: goodness of fit of the window to the reference's shares scaled to its size.
          const { statistic, pValue } =
            test.convention === 'evidently'
              ? chiSquareGoodnessOfFit(
                  windowCounts,
                  expected.map((count) => (count * sampleCount) / reference.count),
                )
              : chiSquareHomogeneity(expected, windowCounts);
          return judged(test, statistic, pValue);
        }
        default:
          throw new RangeError(`${test.kind} does not apply to categorical features`);
      }
    }),
  };
}

function shares(counts: readonly number[]): number[] {
  let total = 0;
  for (const count of counts) total += count;
  return counts.map((count) => count / total);
}

/**
 * A test's result: p-value tests drift below their threshold (Evidently's KS at or below it),
 * the others at or above it.
 */
function judged(test: DriftTestRecord, statistic: number, pValue?: number): TestResultRecord {
  const p = pValue ?? 1;
  const drifted = pValueTests.has(test.kind)
    ? test.convention === 'evidently' && test.kind === 'ks'
      ? p <= test.threshold
      : p < test.threshold
    : statistic >= test.threshold;
  return {
    kind: test.kind,
    statistic: finite(statistic),
    pValue: pValue ?? 0,
    threshold: test.threshold,
    drifted,
  };
}

/** Documents hold JSON numbers only. */
function finite(value: number): number {
  return Number.isFinite(value) ? value : Number.MAX_VALUE;
}
