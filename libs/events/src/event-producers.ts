import { AppError } from '@flywheel/core';
import { eventTypes } from './event-types.ts';

/**
 * Which producer (`source`) owns each event type Flywheel's services emit: the default producer
 * allow-list of consumers. Types other systems publish (`dataset.arrived`,
 * `ground-truth.received`: data pipelines, labelling) have no owner and are not restricted by
 * default. `data-quality.violated` comes from the feature store (ingestion) and monitoring
 * (served traffic).
 */
const owners: Readonly<Record<string, readonly string[] | 'anyone'>> = {
  'dataset.arrived': 'anyone',
  'ground-truth.received': 'anyone',
  'model.version-registered': ['flywheel/registry'],
  'model.alias-changed': ['flywheel/registry'],
  'promotion.rejected': ['flywheel/orchestrator'],
  'promotion.passed': ['flywheel/orchestrator'],
  'pipeline.run-started': ['flywheel/orchestrator'],
  'pipeline.run-succeeded': ['flywheel/orchestrator'],
  'pipeline.run-failed': ['flywheel/orchestrator'],
  'job.started': ['flywheel/orchestrator'],
  'job.succeeded': ['flywheel/orchestrator'],
  'job.failed': ['flywheel/orchestrator'],
  'run.queued': ['flywheel/orchestrator'],
  'run.admitted': ['flywheel/orchestrator'],
  'pipeline.run-requested': ['flywheel/scheduler'],
  'run.suppressed': ['flywheel/scheduler'],
  'deployment.created': ['flywheel/serving'],
  'deployment.rolled-out': ['flywheel/serving'],
  'deployment.rolled-back': ['flywheel/serving'],
  'deployment.traffic-changed': ['flywheel/serving'],
  'shadow.compared': ['flywheel/serving'],
  'prediction.logged': ['flywheel/serving'],
  'features.materialized': ['flywheel/feature-store'],
  'feature-rows.rejected': ['flywheel/feature-store'],
  'data-quality.violated': ['flywheel/feature-store', 'flywheel/monitoring'],
  'drift.detected': ['flywheel/monitoring'],
  'alert.raised': ['flywheel/monitoring'],
  'alert.resolved': ['flywheel/monitoring'],
  'skew.detected': ['flywheel/monitoring'],
};

/** The default allow-list: topic → producers allowed to publish on it (unlisted topics: anyone). */
export function defaultEventProducers(): Map<string, readonly string[]> {
  const allowList = new Map<string, readonly string[]>();
  for (const type of eventTypes()) {
    const owner = owners[type];
    if (owner === undefined)
      throw new AppError('internal', `event type ${type} has no entry in event-producers.ts`);
    if (owner !== 'anyone') allowList.set(type, owner);
  }
  return allowList;
}
