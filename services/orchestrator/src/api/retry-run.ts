import { AppError, type CallOptions, isAppError } from '@flywheel/core';
import { RunSource } from '@flywheel/proto/flywheel/common/v1/trigger_pb.js';
import type { RetryRunRequest } from '@flywheel/proto/flywheel/orchestrator/v1/orchestrator_pb.js';
import type { Doc } from '@flywheel/store';
import type { AdmissionConfig } from '../admission/queue-config.ts';
import { admissionFor } from '../admission/run-demand.ts';
import { newRunRecord, queuedRun } from '../runs/new-run.ts';
import type { RunEngine } from '../runs/run-engine.ts';
import { experimentOf } from '../runs/run-experiment.ts';
import { newRunId, runIdFor } from '../runs/run-ids.ts';
import { principalOf, specOf } from '../runs/run-proto.ts';
import { isFinalRun, type RunRecord, type StepRecord } from '../runs/run-records.ts';
import type { RunStore } from '../runs/run-store.ts';

export interface RetryRunDeps {
  runs: RunStore;
  engine: RunEngine /** Queues and quotas (the new run waits in its queue). */;
  queues: AdmissionConfig;
}

/**
 * RetryRun: a new run with the definition and parameters of a finished one (its trigger names the
 * original). With `reuse_succeeded_steps`, the steps that succeeded keep their outputs and are not
 * run again; only failed, cancelled, skipped and downstream steps run. Idempotent by `request_id`.
 * Throws `not_found` for an unknown run, `failed_precondition` for one still in progress.
 */
export function createRetryRun(deps: RetryRunDeps) {
  return async (request: RetryRunRequest, options: CallOptions = {}): Promise<Doc<RunRecord>> => {
    const runId = request.requestId ? runIdFor('retry', request.runId, request.requestId) : newRunId();
    if (request.requestId) {
      const earlier = await deps.runs.get(runId, options);
      if (earlier) return earlier;
    }
    const original = await deps.runs.get(request.runId, options);
    if (!original) throw new AppError('not_found', `run "${request.runId}" not found`);
    if (!isFinalRun(original.data.state)) {
      throw new AppError(
        'failed_precondition',
        `run "${request.runId}" is ${original.data.state}: retry it once it ended`,
      );
    }
    const reuse = new Map<string, StepRecord>();
    if (request.reuseSucceededSteps) {
      for (const step of original.data.steps) {
        if (step.state !== 'succeeded') continue;
        reuse.set(step.name, {
          name: step.name,
          state: 'succeeded',
          attempts: [],
          ...(step.outputs ? { outputs: step.outputs } : {}),
          ...(step.startTime ? { startTime: step.startTime } : {}),
          ...(step.endTime ? { endTime: step.endTime } : {}),
          reused: true,
        });
      }
    }
    const record = newRunRecord({
      id: runId,
      pipelineName: original.data.pipelineName,
      pipelineRevision: original.data.pipelineRevision,
      spec: specOf(original.data),
      parameters: original.data.parameters,
      team: original.data.team,
      trigger: { source: RunSource.RETRY, retryOfRunId: original.id },
      principal: principalOf(original.data),
      requestId: request.requestId,
      labels: original.data.labels,
      experiment: experimentOf(original.data),
      tags: original.data.tags ?? [],
      reuse,
      // The original's queue (the default one for runs stored before queues existed).
      admission: admissionFor(
        deps.queues,
        original.data.queue ?? '',
        original.data.team,
        specOf(original.data),
        `run ${original.id} spec`,
      ),
    });
    try {
      record.owner = deps.engine.newOwner();
      const run = await deps.runs.create(queuedRun(record), options);
      deps.engine.start(runId);
      return run;
    } catch (error) {
      if (!isAppError(error, 'already_exists')) throw error;
      const earlier = await deps.runs.get(runId, options);
      if (!earlier) throw error;
      return earlier;
    }
  };
}
