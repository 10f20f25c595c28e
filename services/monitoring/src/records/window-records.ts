/** A sample value: a number (numeric column), a string (categorical) or null (missing). */
export type SampleValue = number | string | null;

/** A window that closed and awaits evaluation (its version may have no reference profile yet). */
export interface ClosedWindowRecord {
  seq: number;
  /** Window [startTime, endTime), epoch ms of prediction time. */
  startTime: number;
  endTime: number;
  count: number;
  /** Feature → one value per sample. */
  columns: Record<string, SampleValue[]>;
  /** The deployments the samples came from. */
  deployments: string[];
}

/**
 * The live window of one monitor over one model version, in `windows`, id = `windowDocId`. The
 * samples are persisted with it, so a restarted service goes on filling the same window.
 */
export interface WindowRecord {
  monitorName: string;
  modelName: string;
  modelVersion: number;
  /** Sequence number of the open window, from 1. */
  seq: number;
  /** Prediction time of the open window's first sample (ms), null while empty. */
  openedAt: number | null;
  /** Wall-clock time the open window got its first sample (ms): the sweep closes quiet windows by it. */
  openedAtWall: number | null;
  /** Earliest and latest prediction time in the open window (ms), null while empty. */
  minTime: number | null;
  maxTime: number | null;
  count: number;
  columns: Record<string, SampleValue[]>;
  deployments: string[];
  /** Ids of the latest `prediction.logged` events applied, so a redelivery is not counted twice. */
  appliedEventIds: string[];
  /** Closed windows awaiting evaluation, oldest first. */
  closed: ClosedWindowRecord[];
  /** Feature → window end (ms) of its last emitted `drift.detected`, for the alert cooldown. */
  lastEmittedAt: Record<string, number>;
  updateTime: string;
}

export const windowsCollection = {
  name: 'windows',
  indexes: ['monitorName', 'modelName', 'modelVersion'],
} as const;

export function windowDocId(monitorName: string, modelName: string, modelVersion: number): string {
  return `${monitorName}/${modelName}@${modelVersion}`;
}
