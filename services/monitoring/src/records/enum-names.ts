import { AppError } from '@flywheel/core';
import {
  AlertKind,
  AlertSeverity,
  AlertState,
  DriftTestKind,
  FeatureKind,
  FeatureSource,
  TaskKind,
} from '@flywheel/proto/flywheel/monitoring/v1/monitoring_pb.js';
import type { AlertRecord, AlertSeverityName, AlertStateName } from './alert-records.ts';
import type { DriftTestName, FeatureKindName, FeatureSourceName, TaskName } from './monitor-records.ts';

// Stored documents name enum values by word, so the store stays readable and independent of the
// proto's numbering; these maps convert at the API and event edge.

const testKinds: ReadonlyArray<readonly [DriftTestKind, DriftTestName]> = [
  [DriftTestKind.PSI, 'psi'],
  [DriftTestKind.KS, 'ks'],
  [DriftTestKind.CHI_SQUARE, 'chi_square'],
  [DriftTestKind.JENSEN_SHANNON, 'jensen_shannon'],
  [DriftTestKind.WASSERSTEIN, 'wasserstein'],
];

/** The stored name of a test kind; undefined for UNSPECIFIED or an unknown number. */
export function testName(kind: DriftTestKind): DriftTestName | undefined {
  return testKinds.find(([k]) => k === kind)?.[1];
}

export function testKind(name: DriftTestName): DriftTestKind {
  return testKinds.find(([, n]) => n === name)?.[0] ?? DriftTestKind.UNSPECIFIED;
}

/** Short human label of a test, for alert titles. */
export const testLabels: Readonly<Record<DriftTestName, string>> = {
  psi: 'PSI',
  ks: 'KS p-value',
  chi_square: 'chi-square p-value',
  jensen_shannon: 'Jensen–Shannon distance',
  wasserstein: 'Wasserstein/σ',
};

export function featureKindName(kind: FeatureKind): FeatureKindName | undefined {
  if (kind === FeatureKind.NUMERIC) return 'numeric';
  if (kind === FeatureKind.CATEGORICAL) return 'categorical';
  return undefined;
}

/** The stored name of a feature kind a message must set; `invalid_argument` naming `field` when it does not. */
export function requiredFeatureKindName(kind: FeatureKind, field: string): FeatureKindName {
  const name = featureKindName(kind);
  if (!name)
    throw AppError.invalidArgument(field, 'must be FEATURE_KIND_NUMERIC or FEATURE_KIND_CATEGORICAL');
  return name;
}

export function featureKind(name: FeatureKindName): FeatureKind {
  return name === 'numeric' ? FeatureKind.NUMERIC : FeatureKind.CATEGORICAL;
}

/** UNSPECIFIED reads as INPUT, as the proto says. */
export function featureSourceName(source: FeatureSource): FeatureSourceName {
  return source === FeatureSource.OUTPUT ? 'output' : 'input';
}

export function featureSource(name: FeatureSourceName): FeatureSource {
  return name === 'output' ? FeatureSource.OUTPUT : FeatureSource.INPUT;
}

export function taskName(task: TaskKind): TaskName | undefined {
  if (task === TaskKind.BINARY_CLASSIFICATION) return 'binary_classification';
  if (task === TaskKind.MULTICLASS_CLASSIFICATION) return 'multiclass_classification';
  if (task === TaskKind.REGRESSION) return 'regression';
  return undefined;
}

export function taskKind(name: TaskName): TaskKind {
  if (name === 'binary_classification') return TaskKind.BINARY_CLASSIFICATION;
  if (name === 'multiclass_classification') return TaskKind.MULTICLASS_CLASSIFICATION;
  return TaskKind.REGRESSION;
}

const severities: ReadonlyArray<readonly [AlertSeverity, AlertSeverityName]> = [
  [AlertSeverity.INFO, 'info'],
  [AlertSeverity.WARNING, 'warning'],
  [AlertSeverity.CRITICAL, 'critical'],
];

export function severityName(severity: AlertSeverity): AlertSeverityName | undefined {
  return severities.find(([s]) => s === severity)?.[1];
}

export function alertSeverity(name: AlertSeverityName): AlertSeverity {
  return severities.find(([, n]) => n === name)?.[0] ?? AlertSeverity.UNSPECIFIED;
}

export function alertStateName(state: AlertState): AlertStateName | undefined {
  if (state === AlertState.OPEN) return 'open';
  if (state === AlertState.RESOLVED) return 'resolved';
  return undefined;
}

export function alertState(name: AlertStateName): AlertState {
  return name === 'open' ? AlertState.OPEN : AlertState.RESOLVED;
}

export function alertKind(name: AlertRecord['kind']): AlertKind {
  if (name === 'drift') return AlertKind.DRIFT;
  if (name === 'performance') return AlertKind.PERFORMANCE;
  return AlertKind.NO_DATA;
}
