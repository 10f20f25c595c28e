import { fromJson } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { newEvent, toOutboxEntry } from '@flywheel/events';
import type { RunTrigger, SuppressionReason } from '@flywheel/proto/flywheel/common/v1/trigger_pb.js';
import { RunTriggerSchema } from '@flywheel/proto/flywheel/common/v1/trigger_pb.js';
import {
  PipelineRunRequestedSchema,
  RunSuppressedSchema,
} from '@flywheel/proto/flywheel/events/v1/pipeline_pb.js';
import type { OutboxEntry } from '@flywheel/store';
import { type PipelineRecord, specOf } from '../pipelines/pipeline-records.ts';
import { type PrincipalRecord, toPrincipalMessage } from '../records/principals.ts';
import type { RunRequestRecord } from './run-request-records.ts';

/** The CloudEvent source of everything the scheduler emits. */
export const schedulerSource = 'flywheel/scheduler';

/** A granted run request, ready to announce. */
export interface RunGrant {
  runRequestId: string;
  runId: string;
  /** The pipeline at the revision the run executes; its spec travels in the event. */
  pipeline: PipelineRecord;
  parameters: RunRequestRecord['parameters'];
  team: string;
  trigger: RunTrigger;
  principal: PrincipalRecord;
  /** Epoch ms: the event's time. */
  requestTime: number;
}

/** `pipeline.run-requested` for `grant`, as an outbox entry for the write that decides it. */
export function runRequestedEntry(grant: RunGrant): OutboxEntry {
  return toOutboxEntry(
    newEvent(
      PipelineRunRequestedSchema,
      {
        runId: grant.runId,
        runRequestId: grant.runRequestId,
        pipelineName: grant.pipeline.name,
        pipelineRevision: BigInt(grant.pipeline.revision),
        spec: specOf(grant.pipeline),
        parameters: grant.parameters,
        team: grant.team,
        trigger: grant.trigger,
        principal: toPrincipalMessage(grant.principal),
      },
      { source: schedulerSource, time: new Date(grant.requestTime) },
    ),
  );
}

/** A run request that does not become a run. */
export interface RunSuppression {
  runRequestId: string;
  pipelineName: string;
  team: string;
  trigger: RunTrigger;
  reason: SuppressionReason;
  detail: string;
  /** Epoch ms, for COOLDOWN; 0 otherwise. */
  suppressedUntil: number;
  principal: PrincipalRecord;
  requestTime: number;
}

/** `run.suppressed` for `suppression`, as an outbox entry. */
export function runSuppressedEntry(suppression: RunSuppression): OutboxEntry {
  return toOutboxEntry(
    newEvent(
      RunSuppressedSchema,
      {
        runRequestId: suppression.runRequestId,
        pipelineName: suppression.pipelineName,
        team: suppression.team,
        trigger: suppression.trigger,
        reason: suppression.reason,
        detail: suppression.detail,
        ...(suppression.suppressedUntil > 0
          ? { suppressedUntil: timestampFromMs(suppression.suppressedUntil) }
          : {}),
        principal: toPrincipalMessage(suppression.principal),
      },
      { source: schedulerSource, time: new Date(suppression.requestTime) },
    ),
  );
}

/** The RunTrigger stored in JSON form, back as a message. */
export function triggerFromJson(json: RunRequestRecord['trigger']): RunTrigger {
  return fromJson(RunTriggerSchema, json);
}
