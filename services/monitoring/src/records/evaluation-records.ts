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
  /** The segment the result is about ('' or absent: the whole population). */
  segment?: string;
  /** The window's distribution, binned like the reference (absent in results stored before it). */
  current?: CurrentDistributionRecord;
}

/** A window's values of one feature: a histogram on the reference's bin edges, or category counts. */
export type CurrentDistributionRecord =
  | {
      numeric: {
        min: number;
        max: number;
        mean: number;
        stddev: number;
        binEdges: number[];
        binCounts: number[];
      };
    }
  | { categorical: { counts: Record<string, number> } };

/** A monitored feature an evaluation could not test, and why. */
export interface SkippedFeatureRecord {
  feature: string;
  /** '' for the whole population. */
  segment: string;
  reason: string;
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
  /** Results whose drift was announced (not within the alert cooldown), by `resultKey`. */
  emitted: string[];
  /** Features not tested (absent in evaluations stored before it existed). */
  skipped?: SkippedFeatureRecord[];
  evaluateTime: string;
}

/** How a result is named in `emitted` and the cooldown: the feature, or `<segment>|<feature>` in a segment. */
export function resultKey(result: { feature: string; segment?: string }): string {
  return result.segment ? `${result.segment}|${result.feature}` : result.feature;
}

export const evaluationsCollection = {
  name: 'evaluations',
  indexes: ['modelName', 'modelVersion', 'monitorName', 'windowEndTime'],
} as const;
