import { create, type JsonObject } from '@bufbuild/protobuf';
import { type CallOptions, isAppError } from '@flywheel/core';
import { resolveRunParameters } from '@flywheel/pipelines';
import { RunSource, RunTriggerSchema } from '@flywheel/proto/flywheel/common/v1/trigger_pb.js';
import { RunRequestStatus } from '@flywheel/proto/flywheel/scheduler/v1/scheduler_pb.js';
import type { Collection } from '@flywheel/store';
import { loadPipeline } from '../pipelines/load-pipeline.ts';
import { type PipelineCollections, specOf } from '../pipelines/pipeline-records.ts';
import type { PrincipalRecord } from '../records/principals.ts';
import { runRequestedEntry } from './run-request-events.ts';
import { newRunId, type RunRequestRecord, runRequestIdFor, runRequestRecord } from './run-request-records.ts';

export interface TriggerRunDeps {
  pipelines: PipelineCollections;
  runRequests: Collection<RunRequestRecord>;
  now: () => number;
}

export interface TriggerRunInput {
  pipelineName: string;
  /** 0 = the latest. */
  pipelineRevision: number;
  parameters: JsonObject;
  /** Idempotency key; '' = none. */
  requestId: string;
}

/**
 * Requests a run now and returns at once with the run id the orchestrator will use: the run
 * request record and its `pipeline.run-requested` are one write. A retry with the same
 * `requestId` returns the first request, whatever else it says. Throws `not_found` naming
 * `pipeline_name` (or `revision`), `invalid_argument` naming `parameters.<name>` for an
 * undeclared parameter or a missing required one.
 */
export function triggerRunUseCase(deps: TriggerRunDeps) {
  return async (
    input: TriggerRunInput,
    caller: PrincipalRecord,
    options: CallOptions = {},
  ): Promise<RunRequestRecord> => {
    const id = input.requestId
      ? runRequestIdFor('manual', input.requestId)
      : runRequestIdFor('manual', crypto.randomUUID());
    if (input.requestId) {
      const earlier = await deps.runRequests.get(id, options);
      if (earlier) return earlier.data;
    }
    const pipeline = await loadPipeline(deps.pipelines, input.pipelineName, input.pipelineRevision, {
      ...options,
      revisionField: 'pipeline_revision',
    });
    const parameters = resolveRunParameters(specOf(pipeline), input.parameters, 'parameters');
    const runId = newRunId();
    const now = deps.now();
    const trigger = create(RunTriggerSchema, { source: RunSource.MANUAL });
    const record = runRequestRecord({
      id,
      runId,
      pipelineName: pipeline.name,
      pipelineRevision: pipeline.revision,
      parameters,
      team: pipeline.team,
      trigger,
      status: RunRequestStatus.REQUESTED,
      clientRequestId: input.requestId,
      requestTime: now,
      principal: caller,
    });
    const entry = runRequestedEntry({
      runRequestId: id,
      runId,
      pipeline,
      parameters,
      team: pipeline.team,
      trigger,
      principal: caller,
      requestTime: now,
    });
    try {
      await deps.runRequests.put(id, record, { ...options, expectedVersion: 0, outbox: [entry] });
      return record;
    } catch (error) {
      if (!isAppError(error, 'already_exists')) throw error;
      const winner = await deps.runRequests.get(id, options);
      if (!winner) throw error;
      return winner.data;
    }
  };
}
