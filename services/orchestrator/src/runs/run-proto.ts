import { create, fromJson, type JsonValue, type MessageInitShape, toJson } from '@bufbuild/protobuf';
import { type Timestamp, timestampFromDate, ValueSchema } from '@bufbuild/protobuf/wkt';
import {
  type Failure,
  FailureKind,
  FailureSchema,
  type PipelineSpec,
  PipelineSpecSchema,
  type Resources,
  ResourcesSchema,
} from '@flywheel/proto/flywheel/common/v1/pipeline_pb.js';
import { type Principal, PrincipalSchema } from '@flywheel/proto/flywheel/common/v1/principal_pb.js';
import { type RunTrigger, RunTriggerSchema } from '@flywheel/proto/flywheel/common/v1/trigger_pb.js';
import {
  AdmissionState,
  JobSchema,
  JobState,
  RunSchema,
  RunState,
  type StepRun,
  StepRunSchema,
  StepState,
} from '@flywheel/proto/flywheel/orchestrator/v1/orchestrator_pb.js';
import type { Quantities } from '../admission/quantities.ts';
import { experimentOf, loggedMetrics, stepMetrics } from './run-experiment.ts';
import type {
  AdmissionRecord,
  FailureKindName,
  FailureRecord,
  JobRecord,
  JobStateName,
  RunRecord,
  RunStateName,
  StepRecord,
  StepStateName,
} from './run-records.ts';

// Stored shapes ↔ protobuf messages. Stored documents keep JSON (numbers, RFC 3339 strings,
// protobuf JSON for nested messages); this module is the one place that converts.

export const runStateByName: Readonly<Record<RunStateName, RunState>> = {
  queued: RunState.QUEUED,
  running: RunState.RUNNING,
  succeeded: RunState.SUCCEEDED,
  failed: RunState.FAILED,
  cancelling: RunState.CANCELLING,
  cancelled: RunState.CANCELLED,
};

const stepStateByName: Readonly<Record<StepStateName, StepState>> = {
  pending: StepState.PENDING,
  queued: StepState.QUEUED,
  running: StepState.RUNNING,
  retrying: StepState.RETRYING,
  succeeded: StepState.SUCCEEDED,
  failed: StepState.FAILED,
  skipped: StepState.SKIPPED,
  cancelled: StepState.CANCELLED,
};

const jobStateByName: Readonly<Record<JobStateName, JobState>> = {
  queued: JobState.QUEUED,
  running: JobState.RUNNING,
  succeeded: JobState.SUCCEEDED,
  failed: JobState.FAILED,
  cancelled: JobState.CANCELLED,
};

const failureKindByName: Readonly<Record<FailureKindName, FailureKind>> = {
  step_failed: FailureKind.STEP_FAILED,
  timed_out: FailureKind.TIMED_OUT,
  cancelled: FailureKind.CANCELLED,
  invalid: FailureKind.INVALID,
  executor: FailureKind.EXECUTOR,
};

/** The stored state name of a RunState filter, or undefined for UNSPECIFIED. */
export function runStateName(state: RunState): RunStateName | undefined {
  return (Object.entries(runStateByName) as [RunStateName, RunState][]).find(
    ([, value]) => value === state,
  )?.[0];
}

/** The given RFC 3339 times as Timestamps, leaving out the unset ones. */
export function times<K extends string>(
  fields: Record<K, string | undefined>,
): Partial<Record<K, Timestamp>> {
  const out: Partial<Record<K, Timestamp>> = {};
  for (const [key, text] of Object.entries(fields) as [K, string | undefined][]) {
    if (text !== undefined) out[key] = timestampFromDate(new Date(text));
  }
  return out;
}

/** A stored failure as the `flywheel.common.v1.Failure` message. */
export function failureMessage(failure: FailureRecord): Failure {
  return create(FailureSchema, {
    kind: failureKindByName[failure.kind],
    message: failure.message,
    stepName: failure.stepName,
    exitCode: failure.exitCode ?? 0,
  });
}

/** The spec snapshot of a run as a message. */
export function specOf(record: Pick<RunRecord, 'spec'>): PipelineSpec {
  return fromJson(PipelineSpecSchema, record.spec);
}

/** The spec as stored (protobuf JSON). */
export function storedSpec(spec: PipelineSpec): JsonValue {
  return toJson(PipelineSpecSchema, spec);
}

export function triggerOf(record: Pick<RunRecord, 'trigger'>): RunTrigger {
  return fromJson(RunTriggerSchema, record.trigger);
}

export function storedTrigger(trigger: MessageInitShape<typeof RunTriggerSchema>): JsonValue {
  return toJson(RunTriggerSchema, create(RunTriggerSchema, trigger));
}

export function principalOf(record: Pick<RunRecord, 'principal'>): Principal {
  return fromJson(PrincipalSchema, record.principal);
}

export function storedPrincipal(principal: MessageInitShape<typeof PrincipalSchema>): JsonValue {
  return toJson(PrincipalSchema, create(PrincipalSchema, principal));
}

/** Admission's cores, MiB and GPUs as the `Resources` message. */
export function resourcesMessage(demand: Quantities): Resources {
  return create(ResourcesSchema, { cpu: demand.cpu, memoryMib: demand.memoryMib, gpu: demand.gpu });
}

function admissionMessage(admission: AdmissionRecord) {
  return {
    state: admission.state === 'waiting' ? AdmissionState.WAITING : AdmissionState.ADMITTED,
    position: admission.position,
    reason: admission.reason,
    demand: resourcesMessage(admission.demand),
    jobs: admission.demand.jobs,
    priority: admission.priority,
    ...times({ queuedSince: admission.queuedSince, admitTime: admission.admitTime }),
  };
}

function jobMessage(runId: string, stepName: string, job: JobRecord, requested: Resources | undefined) {
  return create(JobSchema, {
    ...(requested ? { requested } : {}),
    ...(job.usage
      ? { usage: { ...job.usage, peakMemoryBytes: BigInt(Math.round(job.usage.peakMemoryBytes)) } }
      : {}),
    id: job.id,
    runId,
    stepName,
    attempt: job.attempt,
    state: jobStateByName[job.state],
    executor: job.executor,
    executorRef: job.executorRef,
    exitCode: job.exitCode ?? 0,
    ...(job.failure ? { failure: failureMessage(job.failure) } : {}),
    ...times({ createTime: job.createTime, startTime: job.startTime, endTime: job.endTime }),
  });
}

function stepMessage(
  runId: string,
  step: StepRecord,
  requested: Resources | undefined,
  item?: JsonValue,
): StepRun {
  return create(StepRunSchema, {
    name: step.name,
    state: stepStateByName[step.state],
    attempts: step.attempts.map((job) => jobMessage(runId, step.name, job, requested)),
    ...(step.outputs ? { outputs: step.outputs } : {}),
    ...(step.failure ? { failure: failureMessage(step.failure) } : {}),
    ...times({ startTime: step.startTime, endTime: step.endTime }),
    iterations: (step.iterations ?? []).map((iteration) =>
      stepMessage(runId, iteration, requested, step.items?.[iteration.index ?? -1] ?? null),
    ),
    index: step.index ?? 0,
    ...(item === undefined ? {} : { item: fromJson(ValueSchema, item) }),
    metrics: stepMetrics(step),
  });
}

/** A stored run as the `Run` message users see. */
export function runMessage(record: RunRecord) {
  const spec = specOf(record);
  const requested = new Map(spec.steps.map((s) => [s.name, s.resources]));
  return create(RunSchema, {
    id: record.id,
    pipelineName: record.pipelineName,
    pipelineRevision: BigInt(record.pipelineRevision),
    spec,
    parameters: record.parameters,
    team: record.team,
    state: runStateByName[record.state],
    steps: record.steps.map((step) => stepMessage(record.id, step, requested.get(step.name))),
    queue: record.queue ?? '',
    ...(record.admission ? { admission: admissionMessage(record.admission) } : {}),
    ...(record.outputs ? { outputs: record.outputs } : {}),
    ...(record.failure ? { failure: failureMessage(record.failure) } : {}),
    trigger: triggerOf(record),
    runRequestId: record.runRequestId,
    requestId: record.requestId,
    traceId: record.traceId,
    labels: record.labels,
    experiment: experimentOf(record),
    tags: record.tags ?? [],
    metrics: loggedMetrics(record),
    ...times({ createTime: record.createTime, startTime: record.startTime, endTime: record.endTime }),
    principal: principalOf(record),
  });
}
