import type { JsonObject, MessageInitShape } from '@bufbuild/protobuf';
import type { PipelineSpec } from '@flywheel/proto/flywheel/common/v1/pipeline_pb.js';
import type { PrincipalSchema } from '@flywheel/proto/flywheel/common/v1/principal_pb.js';
import type { RunTriggerSchema } from '@flywheel/proto/flywheel/common/v1/trigger_pb.js';
import { injectTraceContext } from '@flywheel/telemetry';
import { context, isSpanContextValid, trace } from '@opentelemetry/api';
import { storedPrincipal, storedSpec, storedTrigger } from './run-proto.ts';
import type { FailureRecord, RunRecord, StepRecord } from './run-records.ts';

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
  /** Steps carried over as they are (RetryRun reusing succeeded steps), by name. */
  reuse?: ReadonlyMap<string, StepRecord>;
}

/**
 * A run record in state QUEUED, every step PENDING (or carried over), in the active trace: the
 * run's later work continues that trace.
 */
export function newRunRecord(run: NewRun): RunRecord {
  const carrier = injectTraceContext({});
  const spanContext = trace.getSpanContext(context.active());
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
    ...(carrier.traceparent ? { traceparent: carrier.traceparent } : {}),
    traceId: spanContext && isSpanContextValid(spanContext) ? spanContext.traceId : '',
    createTime: new Date().toISOString(),
  };
}

/** The same record, ended FAILED before it started (an invalid request that still deserves an answer). */
export function rejectedRunRecord(record: RunRecord, failure: FailureRecord): RunRecord {
  const now = new Date().toISOString();
  return {
    ...record,
    state: 'failed',
    active: false,
    failure,
    steps: record.steps.map((s) => ({ ...s, state: 'skipped', endTime: now })),
    startTime: now,
    endTime: now,
  };
}
