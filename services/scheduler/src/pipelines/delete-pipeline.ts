import { AppError, type CallOptions } from '@flywheel/core';
import type { Collection } from '@flywheel/store';
import { maxListed } from '../records/paging.ts';
import type { ScheduleRecord } from '../schedules/schedule-records.ts';
import { forgetTriggerKeys } from '../triggers/delete-trigger-rule.ts';
import type { TriggerKeyRecord } from '../triggers/trigger-key-records.ts';
import type { TriggerRuleRecord } from '../triggers/trigger-rule-records.ts';
import type { PipelineCollections } from './pipeline-records.ts';

export interface DeletePipelineDeps {
  pipelines: PipelineCollections;
  schedules: Collection<ScheduleRecord>;
  triggerRules: Collection<TriggerRuleRecord>;
  triggerKeys: Collection<TriggerKeyRecord>;
}

/**
 * Deletes a pipeline with its schedules, trigger rules (and their cooldown state) and kept
 * revisions. Runs already requested are not affected. Its dependents go first, so a delete
 * interrupted half-way is finished by calling it again. Throws `not_found` naming
 * `pipeline_name` when there is no such pipeline.
 */
export function deletePipelineUseCase(deps: DeletePipelineDeps) {
  return async (name: string, options: CallOptions = {}): Promise<void> => {
    const head = await deps.pipelines.heads.get(name, options);
    if (!head)
      throw new AppError('not_found', `pipeline_name: pipeline "${name}" does not exist`, {
        field: 'pipeline_name',
      });
    for (const schedule of await deps.schedules.find(
      { pipelineName: name },
      { ...options, limit: maxListed },
    )) {
      await deps.schedules.delete(schedule.id, options);
    }
    for (const rule of await deps.triggerRules.find(
      { pipelineName: name },
      { ...options, limit: maxListed },
    )) {
      await deps.triggerRules.delete(rule.id, options);
      await forgetTriggerKeys(deps.triggerKeys, rule.data, options);
    }
    await deps.pipelines.heads.delete(name, options);
    for (const revision of await deps.pipelines.revisions.find({ name }, { ...options, limit: maxListed })) {
      await deps.pipelines.revisions.delete(revision.id, options);
    }
  };
}
