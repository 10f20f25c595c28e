import { AppError, type CallOptions, isAppError } from '@flywheel/core';
import { validatePipelineSpec } from '@flywheel/pipelines';
import type { Pipeline } from '@flywheel/proto/flywheel/scheduler/v1/scheduler_pb.js';
import type { PrincipalRecord } from '../records/principals.ts';
import { type PipelineCollections, type PipelineRecord, specToJson } from './pipeline-records.ts';

export interface CreatePipelineDeps {
  pipelines: PipelineCollections;
  now: () => number;
  /** The executor names steps may use; undefined: not checked (see FLYWHEEL_SCHEDULER_EXECUTORS). */
  executors?: readonly string[] | undefined;
}

/**
 * Stores a new pipeline at revision 1; an empty team means the caller's. Throws
 * `invalid_argument` naming the field (`pipeline.spec.steps[1].depends_on[0]`…) for a definition
 * that is not a valid DAG, `already_exists` when the name is taken.
 */
export function createPipelineUseCase(deps: CreatePipelineDeps) {
  return async (
    pipeline: Pipeline,
    caller: PrincipalRecord,
    options: CallOptions = {},
  ): Promise<PipelineRecord> => {
    if (!pipeline.spec) throw AppError.invalidArgument('pipeline.spec', 'is required');
    validatePipelineSpec(pipeline.spec, 'pipeline.spec', deps.executors ? { executors: deps.executors } : {});
    const now = deps.now();
    const record: PipelineRecord = {
      name: pipeline.name,
      team: pipeline.team || caller.team,
      description: pipeline.description,
      labels: { ...pipeline.labels },
      revision: 1,
      spec: specToJson(pipeline.spec),
      createTime: now,
      updateTime: now,
      createdBy: caller,
      updatedBy: caller,
    };
    try {
      await deps.pipelines.heads.put(record.name, record, { ...options, expectedVersion: 0 });
    } catch (error) {
      if (isAppError(error, 'already_exists')) {
        throw new AppError('already_exists', `pipeline.name: pipeline "${record.name}" already exists`, {
          field: 'pipeline.name',
        });
      }
      throw error;
    }
    return record;
  };
}
