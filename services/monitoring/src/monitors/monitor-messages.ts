import type { MessageInitShape } from '@bufbuild/protobuf';
import { durationFromMs, durationMs, timestampFromMs } from '@bufbuild/protobuf/wkt';
import { AppError } from '@flywheel/core';
import {
  DriftConvention,
  type DriftTest,
  type Monitor,
  type MonitorSchema,
  type Slice,
} from '@flywheel/proto/flywheel/monitoring/v1/monitoring_pb.js';
import { type ExpectationOwner, expectationsOf, toExpectationMessage } from '@flywheel/quality';
import { auditPrincipals } from '@flywheel/rpc';
import {
  featureKind,
  featureSource,
  featureSourceName,
  requiredFeatureKindName,
  taskKind,
  taskName,
  testKind,
  testName,
} from '../records/enum-names.ts';
import {
  type DriftConventionName,
  type DriftTestRecord,
  type FeatureKindName,
  type MetricThresholdRecord,
  type MonitorRecord,
  type PerformanceSpecRecord,
  pValueTests,
  type SliceRecord,
  testsByKind,
  type WindowSpecRecord,
} from '../records/monitor-records.ts';
import { allSegments, maxSegments } from '../records/segments.ts';

/** Metric names a performance threshold may bound. */
export const knownMetrics: ReadonlySet<string> = new Set([
  'accuracy',
  'precision',
  'recall',
  'f1',
  'auc',
  'log_loss',
  'rmse',
  'mae',
  'r2',
]);

export interface MonitorFromMessageOptions {
  /** The cap on samples per window (FLYWHEEL_MONITORING_MAX_WINDOW_SAMPLES). */
  maxWindowSamples: number;
  /** Team of a monitor that names none. */
  defaultTeam: string;
  now: Date;
}

/**
 * The stored form of a monitor from its API message, after the checks the `.proto` rules cannot
 * express. Throws `invalid_argument` naming the field (`monitor.features[1].tests[0].kind`).
 */
export function monitorFromMessage(message: Monitor, options: MonitorFromMessageOptions): MonitorRecord {
  const seen = new Set<string>();
  const features = message.features.map((feature, i) => {
    const path = `monitor.features[${i}]`;
    if (seen.has(feature.name))
      throw AppError.invalidArgument(`${path}.name`, `"${feature.name}" is monitored twice`);
    if (feature.name.startsWith('@slice:'))
      throw AppError.invalidArgument(
        `${path}.name`,
        'must not start with "@slice:" (kept for slice columns)',
      );
    seen.add(feature.name);
    const kind = requiredFeatureKindName(feature.kind, `${path}.kind`);
    return {
      name: feature.name,
      kind,
      source: featureSourceName(feature.source),
      tests: testsFrom(feature.tests, kind, `${path}.tests`),
    };
  });
  const now = options.now.toISOString();
  return {
    name: message.name,
    team: message.team || options.defaultTeam,
    modelName: message.modelName,
    deploymentName: message.deploymentName,
    features,
    defaultNumericTests: testsFrom(message.defaultNumericTests, 'numeric', 'monitor.default_numeric_tests'),
    defaultCategoricalTests: testsFrom(
      message.defaultCategoricalTests,
      'categorical',
      'monitor.default_categorical_tests',
    ),
    window: windowFrom(message, options.maxWindowSamples),
    performance: performanceFrom(message),
    alertCooldownMs: cooldownFrom(message),
    slices: slicesFrom(message.slices),
    resolveAfterCleanWindows: message.resolveAfterCleanWindows,
    expectations: expectationsOf(message.expectations, monitoredColumns(features), 'monitor.expectations'),
    enabled: message.enabled,
    labels: { ...message.labels },
    createTime: now,
    updateTime: now,
  };
}

/**
 * The monitored features as the owner of the monitor's expectations: a range needs a numeric
 * feature, categories a categorical one, and nothing can be refused (the prediction was made).
 */
function monitoredColumns(features: readonly { name: string; kind: FeatureKindName }[]): ExpectationOwner {
  const kinds = new Map(features.map((f) => [f.name, f.kind]));
  return {
    column(name) {
      const kind = kinds.get(name);
      return kind === undefined
        ? undefined
        : { typeName: kind.toUpperCase(), numeric: kind === 'numeric', categorical: kind === 'categorical' };
    },
    unknownFeature: 'is not a monitored feature (monitor.features[].name)',
    numericTypes: 'a NUMERIC feature',
    categoryTypes: 'a CATEGORICAL feature',
    canReject: false,
  };
}

function testsFrom(tests: readonly DriftTest[], kind: FeatureKindName, path: string): DriftTestRecord[] {
  const seen = new Set<string>();
  return tests.map((test, j) => {
    const name = testName(test.kind);
    if (!name) throw AppError.invalidArgument(`${path}[${j}].kind`, 'must name a drift test');
    if (!testsByKind[kind].has(name)) {
      throw AppError.invalidArgument(`${path}[${j}].kind`, `${name} does not apply to ${kind} features`);
    }
    if (seen.has(name)) throw AppError.invalidArgument(`${path}[${j}].kind`, `${name} is listed twice`);
    const convention = conventionName(test.convention);
    if (!convention) throw AppError.invalidArgument(`${path}[${j}].convention`, 'is not a known convention');
    seen.add(name);
    if ((pValueTests.has(name) || name === 'jensen_shannon') && test.threshold > 1) {
      throw AppError.invalidArgument(
        `${path}[${j}].threshold`,
        `must be at most 1 for ${name}, got ${test.threshold}`,
      );
    }
    return convention === 'flywheel'
      ? { kind: name, threshold: test.threshold }
      : { kind: name, threshold: test.threshold, convention };
  });
}

function conventionName(convention: DriftConvention): DriftConventionName | undefined {
  if (convention === DriftConvention.UNSPECIFIED) return 'flywheel';
  if (convention === DriftConvention.EVIDENTLY) return 'evidently';
  return undefined;
}

function windowFrom(message: Monitor, maxWindowSamples: number): WindowSpecRecord {
  const window = message.window;
  if (!window) throw AppError.invalidArgument('monitor.window', 'is required');
  const duration = window.duration ? durationMs(window.duration) : null;
  if (duration !== null && duration <= 0) {
    throw AppError.invalidArgument('monitor.window.duration', 'must be positive when set');
  }
  if (window.size === 0 && duration === null) {
    throw AppError.invalidArgument('monitor.window', 'needs a size, a duration or both');
  }
  if (window.size > maxWindowSamples) {
    throw AppError.invalidArgument(
      'monitor.window.size',
      `must be at most ${maxWindowSamples}, got ${window.size}`,
    );
  }
  if (window.size > 0 && window.minSamples > window.size) {
    throw AppError.invalidArgument(
      'monitor.window.min_samples',
      `must not exceed the window size ${window.size}, got ${window.minSamples}`,
    );
  }
  if (window.minSamples > maxWindowSamples) {
    throw AppError.invalidArgument('monitor.window.min_samples', `must be at most ${maxWindowSamples}`);
  }
  return { size: window.size, durationMs: duration, minSamples: window.minSamples };
}

function performanceFrom(message: Monitor): PerformanceSpecRecord | null {
  const spec = message.performance;
  if (!spec) return null;
  const task = taskName(spec.task);
  if (!task) throw AppError.invalidArgument('monitor.performance.task', 'must name a task');
  if (spec.decisionThreshold < 0 || spec.decisionThreshold > 1) {
    throw AppError.invalidArgument('monitor.performance.decision_threshold', 'must lie in [0, 1]');
  }
  const thresholds = spec.thresholds.map((threshold, i): MetricThresholdRecord => {
    const path = `monitor.performance.thresholds[${i}]`;
    if (!knownMetrics.has(threshold.metric)) {
      throw AppError.invalidArgument(`${path}.metric`, `must be one of ${[...knownMetrics].join(', ')}`);
    }
    if (threshold.min === undefined && threshold.max === undefined) {
      throw AppError.invalidArgument(path, 'needs min, max or both');
    }
    if (threshold.min !== undefined && threshold.max !== undefined && threshold.min > threshold.max) {
      throw AppError.invalidArgument(`${path}.min`, 'must not exceed max');
    }
    return {
      metric: threshold.metric,
      ...(threshold.min !== undefined ? { min: threshold.min } : {}),
      ...(threshold.max !== undefined ? { max: threshold.max } : {}),
    };
  });
  return {
    task,
    predictionOutput: spec.predictionOutput,
    decisionThreshold: spec.decisionThreshold,
    thresholds,
  };
}

function slicesFrom(slices: readonly Slice[]): SliceRecord[] {
  const seen = new Set<string>();
  const records = slices.map((slice, i): SliceRecord => {
    const path = `monitor.slices[${i}]`;
    const source = featureSourceName(slice.source);
    const key = `${source}:${slice.feature}`;
    if (seen.has(key))
      throw AppError.invalidArgument(`${path}.feature`, `"${slice.feature}" is sliced twice`);
    seen.add(key);
    if (slice.values.length > 0 === slice.edges.length > 0) {
      throw AppError.invalidArgument(
        path,
        'set exactly one of values (categories) and edges (numeric buckets)',
      );
    }
    const values = new Set<string>();
    slice.values.forEach((value, j) => {
      if (value === '' || values.has(value)) {
        throw AppError.invalidArgument(
          `${path}.values[${j}]`,
          value === '' ? 'must not be empty' : `"${value}" is listed twice`,
        );
      }
      values.add(value);
    });
    slice.edges.forEach((edge, j) => {
      if (!Number.isFinite(edge)) throw AppError.invalidArgument(`${path}.edges[${j}]`, 'must be finite');
      if (j > 0 && !(edge > slice.edges[j - 1]!)) {
        throw AppError.invalidArgument(`${path}.edges[${j}]`, 'edges must be strictly ascending');
      }
    });
    return { feature: slice.feature, source, values: [...slice.values], edges: [...slice.edges] };
  });
  const segments = allSegments(records).length;
  if (segments > maxSegments) {
    throw AppError.invalidArgument('monitor.slices', `declare ${segments} segments; at most ${maxSegments}`);
  }
  return records;
}

function cooldownFrom(message: Monitor): number | null {
  if (!message.alertCooldown) return null;
  const ms = durationMs(message.alertCooldown);
  if (ms < 0) throw AppError.invalidArgument('monitor.alert_cooldown', 'must not be negative');
  return ms;
}

/** The API message of a stored monitor. */
export function monitorToMessage(record: MonitorRecord): MessageInitShape<typeof MonitorSchema> {
  const tests = (list: readonly DriftTestRecord[]) =>
    list.map((test) => ({
      kind: testKind(test.kind),
      threshold: test.threshold,
      convention: test.convention === 'evidently' ? DriftConvention.EVIDENTLY : DriftConvention.UNSPECIFIED,
    }));
  return {
    name: record.name,
    team: record.team,
    modelName: record.modelName,
    deploymentName: record.deploymentName,
    features: record.features.map((feature) => ({
      name: feature.name,
      kind: featureKind(feature.kind),
      source: featureSource(feature.source),
      tests: tests(feature.tests),
    })),
    defaultNumericTests: tests(record.defaultNumericTests),
    defaultCategoricalTests: tests(record.defaultCategoricalTests),
    window: {
      size: record.window.size,
      minSamples: record.window.minSamples,
      ...(record.window.durationMs !== null ? { duration: durationFromMs(record.window.durationMs) } : {}),
    },
    ...(record.performance
      ? {
          performance: {
            task: taskKind(record.performance.task),
            predictionOutput: record.performance.predictionOutput,
            decisionThreshold: record.performance.decisionThreshold,
            thresholds: record.performance.thresholds,
          },
        }
      : {}),
    ...(record.alertCooldownMs !== null ? { alertCooldown: durationFromMs(record.alertCooldownMs) } : {}),
    slices: (record.slices ?? []).map((slice) => ({
      feature: slice.feature,
      source: featureSource(slice.source),
      values: slice.values,
      edges: slice.edges,
    })),
    resolveAfterCleanWindows: record.resolveAfterCleanWindows ?? 0,
    expectations: (record.expectations ?? []).map(toExpectationMessage),
    enabled: record.enabled,
    labels: record.labels,
    audit: {
      createTime: timestampFromMs(Date.parse(record.createTime)),
      updateTime: timestampFromMs(Date.parse(record.updateTime)),
      ...auditPrincipals(record),
    },
  };
}
