import type { JsonObject } from '@bufbuild/protobuf';
import { type CloudEvent, newEvent } from '@flywheel/events';
import {
  JobFailedSchema,
  JobStartedSchema,
  JobSucceededSchema,
  PipelineRunFailedSchema,
  PipelineRunStartedSchema,
  PipelineRunSucceededSchema,
  RunAdmittedSchema,
  RunQueuedSchema,
} from '@flywheel/proto/flywheel/events/v1/pipeline_pb.js';
import { failureMessage, principalOf, resourcesMessage, times, triggerOf } from './run-proto.ts';
import type { FailureRecord, JobRecord, RunRecord } from './run-records.ts';

const source = 'flywheel/orchestrator';

function runFields(run: RunRecord) {
  return {
    runId: run.id,
    pipelineName: run.pipelineName,
    pipelineRevision: BigInt(run.pipelineRevision),
    team: run.team,
    principal: principalOf(run),
  };
}

/** `pipeline.run-started`, for a run that just moved to running. */
export function runStartedEvent(run: RunRecord): CloudEvent {
  return newEvent(
    PipelineRunStartedSchema,
    {
      ...runFields(run),
      parameters: run.parameters,
      trigger: triggerOf(run),
      ...times({ startTime: run.startTime }),
    },
    { source },
  );
}

/** `pipeline.run-succeeded`, with the run's outputs. */
export function runSucceededEvent(run: RunRecord): CloudEvent {
  return newEvent(
    PipelineRunSucceededSchema,
    {
      ...runFields(run),
      outputs: run.outputs ?? {},
      ...times({ startTime: run.startTime, endTime: run.endTime }),
    },
    { source },
  );
}

/** `pipeline.run-failed`: failed, timed out or cancelled, as `failure.kind` says. */
export function runFailedEvent(run: RunRecord, failure: FailureRecord): CloudEvent {
  return newEvent(
    PipelineRunFailedSchema,
    {
      ...runFields(run),
      failure: failureMessage(failure),
      ...times({ startTime: run.startTime, endTime: run.endTime }),
    },
    { source },
  );
}

function jobFields(run: RunRecord, stepName: string, job: JobRecord) {
  return {
    jobId: job.id,
    runId: run.id,
    pipelineName: run.pipelineName,
    stepName,
    attempt: job.attempt,
    team: run.team,
    principal: principalOf(run),
  };
}

/** `job.started`, once the executor has the attempt. */
export function jobStartedEvent(run: RunRecord, stepName: string, job: JobRecord): CloudEvent {
  return newEvent(
    JobStartedSchema,
    {
      ...jobFields(run, stepName, job),
      executor: job.executor,
      executorRef: job.executorRef,
      ...times({ startTime: job.startTime }),
    },
    { source },
  );
}

/** `job.succeeded`, with the step's outputs. */
export function jobSucceededEvent(
  run: RunRecord,
  stepName: string,
  job: JobRecord,
  outputs: JsonObject,
): CloudEvent {
  return newEvent(
    JobSucceededSchema,
    {
      ...jobFields(run, stepName, job),
      outputs,
      ...times({ startTime: job.startTime, endTime: job.endTime }),
    },
    { source },
  );
}

/** `job.failed`; `nextAttemptTime` set when another attempt follows. */
export function jobFailedEvent(
  run: RunRecord,
  stepName: string,
  job: JobRecord,
  failure: FailureRecord,
  nextAttemptTime: string | undefined,
): CloudEvent {
  return newEvent(
    JobFailedSchema,
    {
      ...jobFields(run, stepName, job),
      failure: failureMessage(failure),
      willRetry: nextAttemptTime !== undefined,
      ...times({ nextAttemptTime, startTime: job.startTime, endTime: job.endTime }),
    },
    { source },
  );
}

/** `run.queued`, for a run that entered its queue. */
export function runQueuedEvent(run: RunRecord): CloudEvent {
  return newEvent(
    RunQueuedSchema,
    {
      runId: run.id,
      pipelineName: run.pipelineName,
      team: run.team,
      queue: run.queue ?? '',
      priority: run.admission?.priority ?? 0,
      principal: principalOf(run),
      ...times({ queuedSince: run.admission?.queuedSince }),
    },
    { source },
  );
}

/** `run.admitted`, with what the run reserves. */
export function runAdmittedEvent(run: RunRecord): CloudEvent {
  return newEvent(
    RunAdmittedSchema,
    {
      runId: run.id,
      pipelineName: run.pipelineName,
      team: run.team,
      queue: run.queue ?? '',
      priority: run.admission?.priority ?? 0,
      principal: principalOf(run),
      ...(run.admission ? { demand: resourcesMessage(run.admission.demand) } : {}),
      ...times({ queuedSince: run.admission?.queuedSince, admitTime: run.admission?.admitTime }),
    },
    { source },
  );
}
