import { create } from '@bufbuild/protobuf';
import { timestampMs } from '@bufbuild/protobuf/wkt';
import { type CallOptions, isAppError } from '@flywheel/core';
import { type CloudEvent, decodeEvent } from '@flywheel/events';
import { RunTriggerSchema } from '@flywheel/proto/flywheel/common/v1/trigger_pb.js';
import {
  PipelineRunRequestedSchema,
  RunSuppressedSchema,
} from '@flywheel/proto/flywheel/events/v1/pipeline_pb.js';
import { RunRequestStatus } from '@flywheel/proto/flywheel/scheduler/v1/scheduler_pb.js';
import type { Collection } from '@flywheel/store';
import { fromPrincipalMessage } from '../records/principals.ts';
import { type RunRequestRecord, runRequestRecord } from './run-request-records.ts';

/**
 * Keeps the run request history from the scheduler's own `pipeline.run-requested` and
 * `run.suppressed` events. Decisions whose atomic write is a key's or a schedule's document (their
 * events ride in its outbox) are recorded here, once the relay has published them; a record made
 * directly (manual requests, suppressions, pending matches) is kept, except that a PENDING one
 * takes its outcome. Safe to run twice for one event.
 */
export function recordRunRequestUseCase(deps: { runRequests: Collection<RunRequestRecord> }) {
  return async (event: CloudEvent, options: CallOptions = {}): Promise<void> => {
    const outcome = outcomeOf(event);
    for (let attempt = 1; attempt <= 10; attempt++) {
      const existing = await deps.runRequests.get(outcome.id, options);
      try {
        if (!existing) {
          await deps.runRequests.put(outcome.id, outcome, { ...options, expectedVersion: 0 });
          return;
        }
        if (existing.data.status !== RunRequestStatus.PENDING) return;
        const settled: RunRequestRecord = {
          ...existing.data,
          status: outcome.status,
          suppressionReason: outcome.suppressionReason,
          detail: outcome.detail,
          suppressedUntil: outcome.suppressedUntil,
          ...(outcome.status === RunRequestStatus.REQUESTED
            ? {
                runId: outcome.runId,
                pipelineRevision: outcome.pipelineRevision,
                parameters: outcome.parameters,
              }
            : {}),
        };
        await deps.runRequests.put(outcome.id, settled, { ...options, expectedVersion: existing.version });
        return;
      } catch (error) {
        if (!isAppError(error, 'already_exists') && !isAppError(error, 'aborted')) throw error;
      }
    }
  };
}

function outcomeOf(event: CloudEvent): RunRequestRecord {
  const requestTime = Date.parse(event.time);
  if (event.type === 'pipeline.run-requested') {
    const payload = decodeEvent(PipelineRunRequestedSchema, event);
    return runRequestRecord({
      id: payload.runRequestId,
      runId: payload.runId,
      pipelineName: payload.pipelineName,
      pipelineRevision: Number(payload.pipelineRevision),
      parameters: payload.parameters ?? {},
      team: payload.team,
      trigger: payload.trigger ?? create(RunTriggerSchema),
      status: RunRequestStatus.REQUESTED,
      requestTime,
      principal: fromPrincipalMessage(payload.principal),
    });
  }
  const payload = decodeEvent(RunSuppressedSchema, event);
  return runRequestRecord({
    id: payload.runRequestId,
    runId: '',
    pipelineName: payload.pipelineName,
    pipelineRevision: 0,
    parameters: {},
    team: payload.team,
    trigger: payload.trigger ?? create(RunTriggerSchema),
    status: RunRequestStatus.SUPPRESSED,
    suppressionReason: payload.reason,
    detail: payload.detail,
    suppressedUntil: payload.suppressedUntil ? timestampMs(payload.suppressedUntil) : 0,
    requestTime,
    principal: fromPrincipalMessage(payload.principal),
  });
}
