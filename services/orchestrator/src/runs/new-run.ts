import type { JsonObject, MessageInitShape } from '@bufbuild/protobuf';
import type { PipelineSpec } from '@flywheel/proto/flywheel/common/v1/pipeline_pb.js';
import type { PrincipalSchema } from '@flywheel/proto/flywheel/common/v1/principal_pb.js';
import type { RunTriggerSchema } from '@flywheel/proto/flywheel/common/v1/trigger_pb.js';
import { injectTraceContext } from '@flywheel/telemetry';
import { context, isSpanContextValid, trace } from '@opentelemetry/api';
import type { QueuedAdmission } from '../admission/run-demand.ts';
import { runQueuedEvent } from './run-events.ts';
import { storedPrincipal, storedSpec, storedTrigger } from './run-proto.ts';
import type { FailureRecord, RunRecord, StepRecord } from './run-records.ts';
import type { RunChange } from './run-store.ts';

/** Who acts when a use case runs outside any call or event (direct calls in tests). */
export const localPrincipal = (team: string): MessageInitShape<typeof PrincipalSchema> => ({
  subject: 'local',
  team,
});

export interface NewRun {
  id: string;
  pipelineName: string;
  pipelineRevision: number;
  spec: PipelineSpec;
  parameters: JsonObject;
  team: string;
  trigger: MessageInitShape<typeof RunTriggerSchema>;
  principal: MessageInitShape<typeof PrincipalSchema>;
  runRequestId?: string;
  requestId?: string;
  labels?: Record<string, string>;
  /** Empty or absent: the pipeline's name. */
  experiment?: string;
  tags?: readonly string[];
  /** Steps carried over as they are (RetryRun reusing succeeded steps), by name. */
  reuse?: ReadonlyMap<string, StepRecord>;
  /** Its queue and what it reserves once admitted (see `admissionFor`); absent for a run rejected at once. */
  admission?: QueuedAdmission;
}

/**
 * A run record in state QUEUED, every step PENDING (or carried over), in the active trace: the
 * run's later work continues that trace.
 */
export function newRunRecord(run: NewRun): RunRecord {
  const carrier = injectTraceContext({});
  const spanContext = trace.getSpanContext(context.active());
  const createTime = new Date().toISOString();
  return {
    id: run.id,
    pipelineName: run.pipelineName,
    pipelineRevision: run.pipelineRevision,
    spec: storedSpec(run.spec),
    parameters: run.parameters,
    team: run.team,
    state: 'queued',
    active: true,
    steps: run.spec.steps.map(
      (step) => run.reuse?.get(step.name) ?? { name: step.name, state: 'pending', attempts: [] },
    ),
    trigger: storedTrigger(run.trigger),
    principal: storedPrincipal(run.principal),
    runRequestId: run.runRequestId ?? '',
    requestId: run.requestId ?? '',
    labels: run.labels ?? {},
    experiment: run.experiment || run.pipelineName,
    tags: [...new Set(run.tags ?? [])].sort(),
    ...(carrier.traceparent ? { traceparent: carrier.traceparent } : {}),
    traceId: spanContext && isSpanContextValid(spanContext) ? spanContext.traceId : '',
    ...(run.admission
      ? {
          queue: run.admission.queue,
          admission: {
            state: 'waiting' as const,
            priority: run.admission.priority,
            demand: run.admission.demand,
            queuedSince: createTime,
            position: 0,
            reason: 'not looked at yet',
          },
        }
      : {}),
    createTime,
  };
}

/** The creation of a new run: the record with its `run.queued` event. */
export function queuedRun(record: RunRecord): RunChange {
  return { record, events: [runQueuedEvent(record)] };
}

/** The same record, ended FAILED before it started (an invalid request that still deserves an answer). */
export function rejectedRunRecord(record: RunRecord, failure: FailureRecord): RunRecord {
  const now = new Date().toISOString();
  const { admission: _never, queue: _none, ...rest } = record;
  return {
    ...rest,
    state: 'failed',
    active: false,
    failure,
    steps: record.steps.map((s) => ({ ...s, state: 'skipped', endTime: now })),
    startTime: now,
    endTime: now,
  };
}
