import { AppError, type CallOptions, isAppError } from '@flywheel/core';
import { type CloudEvent, decodeEvent } from '@flywheel/events';
import { FailureKind } from '@flywheel/proto/flywheel/common/v1/pipeline_pb.js';
import { PipelineRunFailedSchema } from '@flywheel/proto/flywheel/events/v1/pipeline_pb.js';
import { RunRequestStatus } from '@flywheel/proto/flywheel/scheduler/v1/scheduler_pb.js';
import type { Collection } from '@flywheel/store';
import type { RunFailureRecord, RunRequestRecord } from './run-request-records.ts';

/**
 * On `pipeline.run-failed`: the granted run request whose run this was records that it failed and
 * why (`runFailure`, and the `detail` ListRunRequests shows: kind, step, message). A run the
 * scheduler did not request (SubmitRun called directly) has no request: nothing to record. Throws
 * `unavailable` (retriable: the event comes again) when `expectRequest` says the request exists
 * but its record is not written yet (it is recorded from its own relayed event). Safe to run twice.
 */
export function recordRunFailureUseCase(deps: { runRequests: Collection<RunRequestRecord> }) {
  return async (
    event: CloudEvent,
    options: CallOptions & { expectRequest?: boolean } = {},
  ): Promise<void> => {
    const { runId, failure } = decodeEvent(PipelineRunFailedSchema, event);
    if (!runId) return;
    const runFailure: RunFailureRecord = {
      kind: FailureKind[failure?.kind ?? FailureKind.UNSPECIFIED] ?? 'UNSPECIFIED',
      stepName: failure?.stepName ?? '',
      message: failure?.message ?? '',
    };
    const detail = `run ${runId} failed (${runFailure.kind}${runFailure.stepName ? `, step ${runFailure.stepName}` : ''}): ${runFailure.message}`;
    const requests = await deps.runRequests.find({ runId }, { ...options, limit: 100 });
    const granted = requests.filter((doc) => doc.data.status === RunRequestStatus.REQUESTED);
    if (granted.length === 0 && options.expectRequest) {
      throw new AppError('unavailable', `the run request of run ${runId} is not recorded yet`, {
        retriable: true,
      });
    }
    for (const doc of granted) {
      if (doc.data.runFailure) continue;
      try {
        await deps.runRequests.put(
          doc.id,
          { ...doc.data, runFailure, detail },
          { ...options, expectedVersion: doc.version },
        );
      } catch (error) {
        // Written meanwhile (by this same step on a redelivery): the event comes again if it matters.
        if (!isAppError(error, 'aborted')) throw error;
        throw new AppError('aborted', `run request ${doc.id} changed while recording its run's failure`, {
          retriable: true,
          cause: error,
        });
      }
    }
  };
}
