import type { ExpectationRecord } from '@flywheel/quality';
import type { AuditPrincipal } from '@flywheel/rpc';
/** The kinds of monitored columns, as stored. */
export type FeatureKindName = 'numeric' | 'categorical';

/** Where a monitored column is read from in `prediction.logged`. */
export type FeatureSourceName = 'input' | 'output';

/** The drift tests, as stored. */
export type DriftTestName = 'psi' | 'ks' | 'chi_square' | 'jensen_shannon' | 'wasserstein';

export type TaskName = 'binary_classification' | 'multiclass_classification' | 'regression';

/** Whose binning, log base, chi-square form and defaults a test follows (see the README). */
export type DriftConventionName = 'flywheel' | 'evidently';

/** One test as configured: `threshold` 0 means the typical value (see `defaultThresholds`). */
export interface DriftTestRecord {
  kind: DriftTestName;
  threshold: number;
  /** Absent in monitors stored before conventions existed, and for Flywheel's: `flywheel`. */
  convention?: DriftConventionName;
}

export interface MonitoredFeatureRecord {
  name: string;
  kind: FeatureKindName;
  source: FeatureSourceName;
  /** Empty: the monitor's defaults for the kind. */
  tests: DriftTestRecord[];
}

export interface WindowSpecRecord {
  /** Samples per window; 0 = no count limit. */
  size: number;
  /** Span per window in ms of prediction time; null = no time limit. */
  durationMs: number | null;
  /** As configured (0 = the default, see `effectiveMinSamples`). */
  minSamples: number;
}

export interface MetricThresholdRecord {
  metric: string;
  min?: number;
  max?: number;
}

export interface PerformanceSpecRecord {
  task: TaskName;
  predictionOutput: string;
  /** As configured (0 = 0.5). */
  decisionThreshold: number;
  thresholds: MetricThresholdRecord[];
}

/**
 * A column that cuts the population into segments (see `segments.ts`): one per listed value
 * (categorical, compared as text) or one per bucket of the ascending `edges` (numeric).
 */
export interface SliceRecord {
  feature: string;
  source: FeatureSourceName;
  values: string[];
  edges: number[];
}

/** A monitor as stored in `monitors`, id = its name. */
export interface MonitorRecord {
  name: string;
  team: string;
  modelName: string;
  deploymentName: string;
  features: MonitoredFeatureRecord[];
  defaultNumericTests: DriftTestRecord[];
  defaultCategoricalTests: DriftTestRecord[];
  window: WindowSpecRecord;
  performance: PerformanceSpecRecord | null;
  alertCooldownMs: number | null;
  /** Absent in monitors stored before slices existed: none. */
  slices?: SliceRecord[];
  /** Consecutive clean windows that resolve an open drift alert, as configured (0 or absent = 1). */
  resolveAfterCleanWindows?: number;
  /**
   * Data quality expectations on the logged values of `features` (WARN only), in declaration
   * order; absent in monitors stored before they existed: none.
   */
  expectations?: ExpectationRecord[];
  enabled: boolean;
  labels: Record<string, string>;
  createTime: string;
  updateTime: string;
  /** Who created it (absent in records written before audit principals were kept). */
  createdBy?: AuditPrincipal;
  /** Who last changed it. */
  updatedBy?: AuditPrincipal;
}

export const monitorsCollection = { name: 'monitors', indexes: ['modelName', 'team'] } as const;

/** The value a threshold of 0 stands for, per test; see DriftTestKind in monitoring.proto. */
export const defaultThresholds: Readonly<Record<DriftTestName, number>> = {
  // PSI ≥ 0.2: the usual "significant shift" reading.
  psi: 0.2,
  // p-value < 0.01: windows are compared often, so a stricter level than 0.05 keeps false alarms rare.
  ks: 0.01,
  chi_square: 0.01,
  jensen_shannon: 0.1,
  wasserstein: 0.1,
};

/** Evidently 0.7's default thresholds (its StatTest `default_threshold`s) under its convention. */
export const evidentlyThresholds: Readonly<Record<DriftTestName, number>> = {
  psi: 0.1,
  ks: 0.05,
  chi_square: 0.05,
  jensen_shannon: 0.1,
  wasserstein: 0.1,
};

/** Tests that read their threshold as a p-value (drift when p < threshold); the others drift when the statistic ≥ threshold. */
export const pValueTests: ReadonlySet<DriftTestName> = new Set(['ks', 'chi_square']);

/** Tests that read the reference's data, not its bins: KS, Wasserstein, and Evidently's PSI / JS (bins over both sides). */
export function needsReferenceData(test: DriftTestRecord): boolean {
  if (test.kind === 'ks' || test.kind === 'wasserstein') return true;
  return test.convention === 'evidently' && (test.kind === 'psi' || test.kind === 'jensen_shannon');
}

/** Which tests apply to which kind of column. */
export const testsByKind: Readonly<Record<FeatureKindName, ReadonlySet<DriftTestName>>> = {
  numeric: new Set(['psi', 'ks', 'jensen_shannon', 'wasserstein']),
  categorical: new Set(['psi', 'chi_square', 'jensen_shannon']),
};

/** Defaults when neither the feature nor the monitor names tests. */
export const builtInDefaultTests: Readonly<Record<FeatureKindName, readonly DriftTestName[]>> = {
  numeric: ['psi', 'ks'],
  categorical: ['psi', 'chi_square'],
};

/** The tests a feature runs, thresholds resolved (0 → typical for the test's convention), convention set. */
export function testsOf(monitor: MonitorRecord, feature: MonitoredFeatureRecord): DriftTestRecord[] {
  const monitorDefaults =
    feature.kind === 'numeric' ? monitor.defaultNumericTests : monitor.defaultCategoricalTests;
  const configured: readonly DriftTestRecord[] =
    feature.tests.length > 0
      ? feature.tests
      : monitorDefaults.length > 0
        ? monitorDefaults
        : builtInDefaultTests[feature.kind].map((kind) => ({ kind, threshold: 0 }));
  return configured.map((test) => {
    const convention = test.convention ?? 'flywheel';
    const typical = convention === 'evidently' ? evidentlyThresholds : defaultThresholds;
    return { kind: test.kind, threshold: test.threshold || typical[test.kind], convention };
  });
}

/** Clean windows in a row that resolve the monitor's open drift alerts of a version. */
export function effectiveResolveWindows(monitor: MonitorRecord): number {
  return monitor.resolveAfterCleanWindows || 1;
}

/** Samples a window needs to be tested: as configured, else 100 — or the window size when that is smaller. */
export function effectiveMinSamples(window: WindowSpecRecord): number {
  if (window.minSamples > 0) return window.minSamples;
  return window.size > 0 ? Math.min(100, window.size) : 100;
}
