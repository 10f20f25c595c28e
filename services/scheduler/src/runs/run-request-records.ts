import { createHash } from 'node:crypto';
import { create, fromJson, type JsonObject, toJson } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import {
  type RunTrigger,
  RunTriggerSchema,
  type SuppressionReason,
} from '@flywheel/proto/flywheel/common/v1/trigger_pb.js';
import {
  type RunRequest,
  RunRequestSchema,
  RunRequestStatus,
} from '@flywheel/proto/flywheel/scheduler/v1/scheduler_pb.js';
import type { Collection, DocumentStore } from '@flywheel/store';
import { type PrincipalRecord, toPrincipalMessage } from '../records/principals.ts';

/** One decision of the scheduler, as stored (id = run request id). Times are epoch ms. */
export interface RunRequestRecord {
  id: string;
  /** '' unless granted (or pending: the id it will get). */
  runId: string;
  pipelineName: string;
  pipelineRevision: number;
  parameters: JsonObject;
  team: string;
  /** The RunTrigger in the protobuf JSON mapping. */
  trigger: JsonObject;
  /** Indexed copies of the trigger's parts, for ListRunRequests filters. */
  source: number;
  scheduleName: string;
  triggerRuleName: string;
  /** A RunRequestStatus. */
  status: number;
  /** A SuppressionReason; 0 unless suppressed. */
  suppressionReason: number;
  detail: string;
  /** For COOLDOWN: when the key's cooldown ends; 0 otherwise. */
  suppressedUntil: number;
  clientRequestId: string;
  requestTime: number;
  principal: PrincipalRecord;
  /** Set when the granted run failed (`pipeline.run-failed`): why; `detail` then says so too. */
  runFailure?: RunFailureRecord;
}

/** Why a requested run failed, from its `pipeline.run-failed`. */
export interface RunFailureRecord {
  /** The FailureKind's name without its prefix: STEP_FAILED, TIMED_OUT, CANCELLED… */
  kind: string;
  stepName: string;
  message: string;
}

export function openRunRequests(store: DocumentStore): Collection<RunRequestRecord> {
  return store.collection<RunRequestRecord>('run-requests', {
    indexes: [
      'pipelineName',
      'source',
      'status',
      'scheduleName',
      'triggerRuleName',
      'requestTime',
      'runId',
      'team',
    ],
  });
}

/** A new random run id, the one the orchestrator's run will have. */
export function newRunId(): string {
  return `run_${crypto.randomUUID()}`;
}

/**
 * A run request id derived from what identifies the decision (rule + event, schedule + tick,
 * caller's request id), so a decision made twice lands on the same record.
 */
export function runRequestIdFor(...parts: string[]): string {
  return `rr_${createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 32)}`;
}

export function triggerToJson(trigger: RunTrigger): JsonObject {
  return toJson(RunTriggerSchema, trigger) as JsonObject;
}

/** What a record needs from its trigger, indexed. */
export function triggerFields(
  trigger: RunTrigger,
): Pick<RunRequestRecord, 'trigger' | 'source' | 'scheduleName' | 'triggerRuleName'> {
  return {
    trigger: triggerToJson(trigger),
    source: trigger.source,
    scheduleName: trigger.scheduleName,
    triggerRuleName: trigger.triggerRuleName,
  };
}

export interface RunRequestRecordInit {
  id: string;
  runId: string;
  pipelineName: string;
  pipelineRevision: number;
  parameters: JsonObject;
  team: string;
  trigger: RunTrigger;
  status: RunRequestStatus;
  suppressionReason?: SuppressionReason;
  detail?: string;
  suppressedUntil?: number;
  clientRequestId?: string;
  requestTime: number;
  principal: PrincipalRecord;
}

export function runRequestRecord(init: RunRequestRecordInit): RunRequestRecord {
  return {
    id: init.id,
    runId: init.runId,
    pipelineName: init.pipelineName,
    pipelineRevision: init.pipelineRevision,
    parameters: init.parameters,
    team: init.team,
    ...triggerFields(init.trigger),
    status: init.status,
    suppressionReason: init.suppressionReason ?? 0,
    detail: init.detail ?? '',
    suppressedUntil: init.suppressedUntil ?? 0,
    clientRequestId: init.clientRequestId ?? '',
    requestTime: init.requestTime,
    principal: init.principal,
  };
}

export function toRunRequestMessage(record: RunRequestRecord): RunRequest {
  return create(RunRequestSchema, {
    id: record.id,
    runId: record.status === RunRequestStatus.REQUESTED ? record.runId : '',
    pipelineName: record.pipelineName,
    pipelineRevision: BigInt(record.pipelineRevision),
    parameters: record.parameters,
    team: record.team,
    trigger: fromJson(RunTriggerSchema, record.trigger),
    status: record.status,
    suppressionReason: record.suppressionReason,
    detail: record.detail,
    clientRequestId: record.clientRequestId,
    requestTime: timestampFromMs(record.requestTime),
    principal: toPrincipalMessage(record.principal),
  });
}
