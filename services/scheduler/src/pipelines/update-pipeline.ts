import { AppError, type CallOptions, isAppError } from '@flywheel/core';
import { validatePipelineSpec } from '@flywheel/pipelines';
import type { PipelineSpec } from '@flywheel/proto/flywheel/common/v1/pipeline_pb.js';
import type { PrincipalRecord } from '../records/principals.ts';
import { type PipelineCollections, type PipelineRecord, revisionId, specToJson } from './pipeline-records.ts';

export interface UpdatePipelineDeps {
  pipelines: PipelineCollections;
  now: () => number;
  /** The executor names steps may use; undefined: not checked (see FLYWHEEL_SCHEDULER_EXECUTORS). */
  executors?: readonly string[] | undefined;
}

export interface UpdatePipelineInput {
  name: string;
  spec: PipelineSpec;
  /** 0 = any; else the current revision must be this one. */
  expectedRevision: number;
  description?: string;
}

/**
 * Stores the next revision of a pipeline. The revision it supersedes is kept (GetPipeline with
 * `revision`), so runs already requested stay reproducible. Throws `invalid_argument` naming
 * `spec.…` for an invalid definition, `not_found`, or `failed_precondition` when
 * `expectedRevision` is not the current one.
 */
export function updatePipelineUseCase(deps: UpdatePipelineDeps) {
  return async (
    input: UpdatePipelineInput,
    caller: PrincipalRecord,
    options: CallOptions = {},
  ): Promise<PipelineRecord> => {
    validatePipelineSpec(input.spec, 'spec', deps.executors ? { executors: deps.executors } : {});
    for (let attempt = 1; ; attempt++) {
      const head = await deps.pipelines.heads.get(input.name, options);
      if (!head)
        throw new AppError('not_found', `pipeline_name: pipeline "${input.name}" does not exist`, {
          field: 'pipeline_name',
        });
      const current = head.data;
      if (input.expectedRevision !== 0 && input.expectedRevision !== current.revision) {
        throw new AppError(
          'failed_precondition',
          `expected_revision: pipeline "${input.name}" is at revision ${current.revision}, not ${input.expectedRevision}`,
          { field: 'expected_revision' },
        );
      }
      // The superseded revision is written first and is the same whoever writes it, so a crash
      // between the two writes leaves nothing inconsistent.
      await deps.pipelines.revisions.put(revisionId(current.name, current.revision), current, options);
      const next: PipelineRecord = {
        ...current,
        revision: current.revision + 1,
        spec: specToJson(input.spec),
        ...(input.description !== undefined ? { description: input.description } : {}),
        updateTime: deps.now(),
        updatedBy: caller,
      };
      try {
        await deps.pipelines.heads.put(current.name, next, { ...options, expectedVersion: head.version });
        return next;
      } catch (error) {
        if (!isAppError(error, 'aborted') || attempt >= 10) throw error;
      }
    }
  };
}
