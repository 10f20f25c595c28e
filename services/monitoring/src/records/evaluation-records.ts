import type { DriftTestName, FeatureKindName } from './monitor-records.ts';

export interface TestResultRecord {
  kind: DriftTestName;
  statistic: number;
  /** For KS and chi-square; 0 otherwise. */
  pValue: number;
  threshold: number;
  drifted: boolean;
}

export interface DriftResultRecord {
  id: string;
  feature: string;
  kind: FeatureKindName;
  sampleCount: number;
  referenceCount: number;
  tests: TestResultRecord[];
  drifted: boolean;
}

/**
 * One window evaluation of one monitor: a result per feature, in `evaluations`, id = the
 * evaluation id (derived from the window, so a re-run after a crash finds it). Written with its
 * `drift.detected` events in the outbox.
 */
export interface EvaluationRecord {
  id: string;
  monitorName: string;
  modelName: string;
  modelVersion: number;
  deploymentName: string;
  team: string;
  windowSeq: number;
  windowStartTime: number;
  windowEndTime: number;
  referenceProfileId: string;
  results: DriftResultRecord[];
  drifted: boolean;
  /** Features whose drift was announced (not within the alert cooldown). */
  emitted: string[];
  evaluateTime: string;
}

export const evaluationsCollection = {
  name: 'evaluations',
  indexes: ['modelName', 'modelVersion', 'monitorName', 'windowEndTime'],
} as const;
