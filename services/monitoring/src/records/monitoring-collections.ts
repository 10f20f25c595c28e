import type { Collection, DocumentStore } from '@flywheel/store';
import { type AlertRecord, alertsCollection } from './alert-records.ts';
import { type EvaluationRecord, evaluationsCollection } from './evaluation-records.ts';
import { type MonitorRecord, monitorsCollection } from './monitor-records.ts';
import {
  type GroundTruthRecord,
  groundTruthCollection,
  type PredictionLogRecord,
  predictionLogsCollection,
} from './performance-records.ts';
import { profilesCollection, type ReferenceProfileRecord } from './profile-records.ts';
import { type WindowRecord, windowsCollection } from './window-records.ts';

/** The monitoring service's own collections, each with the indexes its queries use. */
export interface MonitoringCollections {
  readonly monitors: Collection<MonitorRecord>;
  readonly profiles: Collection<ReferenceProfileRecord>;
  readonly windows: Collection<WindowRecord>;
  readonly evaluations: Collection<EvaluationRecord>;
  readonly alerts: Collection<AlertRecord>;
  readonly predictionLogs: Collection<PredictionLogRecord>;
  readonly groundTruth: Collection<GroundTruthRecord>;
}

export function openCollections(store: DocumentStore): MonitoringCollections {
  const open = <T extends object>(spec: { name: string; indexes: readonly string[] }) =>
    store.collection<T>(spec.name, { indexes: spec.indexes });
  return {
    monitors: open<MonitorRecord>(monitorsCollection),
    profiles: open<ReferenceProfileRecord>(profilesCollection),
    windows: open<WindowRecord>(windowsCollection),
    evaluations: open<EvaluationRecord>(evaluationsCollection),
    alerts: open<AlertRecord>(alertsCollection),
    predictionLogs: open<PredictionLogRecord>(predictionLogsCollection),
    groundTruth: open<GroundTruthRecord>(groundTruthCollection),
  };
}

/** The largest `find` the store allows: queries that page in memory read at most this many documents. */
export const maxFind = 10_000;
