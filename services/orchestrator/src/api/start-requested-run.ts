import { create } from '@bufbuild/protobuf';
import type { EventHandler } from '@flywheel/bus';
import { AppError, isAppError } from '@flywheel/core';
import { type CloudEvent, decodeEvent } from '@flywheel/events';
import { checkForEachItemsKnownNow, resolveRunParameters } from '@flywheel/pipelines';
import { PipelineSpecSchema } from '@flywheel/proto/flywheel/common/v1/pipeline_pb.js';
import { PipelineRunRequestedSchema } from '@flywheel/proto/flywheel/events/v1/pipeline_pb.js';
import type { AdmissionConfig } from '../admission/queue-config.ts';
import { admissionFor } from '../admission/run-demand.ts';
import type { BuiltinSteps } from '../builtin-steps/step-types.ts';
import type { ExecutorSet } from '../executors/executor-set.ts';
import { localPrincipal, newRunRecord, queuedRun, rejectedRunRecord } from '../runs/new-run.ts';
import type { RunEngine } from '../runs/run-engine.ts';
import { runFailedEvent } from '../runs/run-events.ts';
import type { RunStore } from '../runs/run-store.ts';
import { checkRunnableSpec } from './runnable-spec.ts';

export interface StartRequestedRunDeps {
  runs: RunStore;
  engine: RunEngine;
  builtins: BuiltinSteps;
  executors: ExecutorSet;
  /** Team of a request that names none. */
  localTeam: string;
  /** Queues and quotas (the new run waits in its queue). */
  queues: AdmissionConfig;
}

/**
 * Handles `pipeline.run-requested`: creates the run under the event's pre-allocated run id (a
 * create with expectedVersion 0, so a redelivery or a duplicate request never starts a second run)
 * and starts it. A request whose definition or parameters are invalid still gets its run, ended
 * FAILED (kind INVALID) with `pipeline.run-failed`, so the requester learns why. A payload that does
 * not decode, or has no run id, is `invalid_argument` (dead-lettered).
 */
export function createStartRequestedRun(deps: StartRequestedRunDeps): EventHandler {
  return async (event, { signal }) => {
    const request = decodeEvent(PipelineRunRequestedSchema, event);
    if (!request.runId)
      throw AppError.invalidArgument('run_id', `event ${event.id}: a run request needs a run id`);
    const existing = await deps.runs.get(request.runId, { signal });
    if (existing) {
      deps.engine.start(request.runId);
      return;
    }
    const spec = request.spec ?? create(PipelineSpecSchema);
    const team = request.team || deps.localTeam;
    const base = {
      id: request.runId,
      pipelineName: request.pipelineName,
      pipelineRevision: Number(request.pipelineRevision),
      spec,
      parameters: request.parameters ?? {},
      team,
      trigger: request.trigger ?? {},
      principal: request.principal ?? localPrincipal(team),
      runRequestId: request.runRequestId,
    };
    let record = newRunRecord(base);
    let events: CloudEvent[] = [];
    try {
      checkRunnableSpec(spec, 'spec', deps);
      const parameters = resolveRunParameters(spec, request.parameters, 'parameters');
      checkForEachItemsKnownNow(spec, parameters, 'spec');
      record = newRunRecord({
        ...base,
        parameters,
        // Requested runs wait in the default queue.
        admission: admissionFor(deps.queues, '', team, spec, 'spec'),
      });
    } catch (error) {
      if (!isAppError(error, 'invalid_argument')) throw error;
      const failure = { kind: 'invalid' as const, message: error.message, stepName: '' };
      record = rejectedRunRecord(record, failure);
      events = [runFailedEvent(record, failure)];
    }
    if (events.length === 0) record.owner = deps.engine.newOwner();
    try {
      await deps.runs.create(events.length === 0 ? queuedRun(record) : { record, events }, { signal });
    } catch (error) {
      if (!isAppError(error, 'already_exists')) throw error;
    }
    if (events.length === 0) deps.engine.start(request.runId);
  };
}
