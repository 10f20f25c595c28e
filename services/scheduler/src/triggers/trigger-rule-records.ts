import { create, type JsonObject } from '@bufbuild/protobuf';
import { durationFromMs, timestampFromMs } from '@bufbuild/protobuf/wkt';
import { AuditSchema } from '@flywheel/proto/flywheel/common/v1/resource_pb.js';
import { type TriggerRule, TriggerRuleSchema } from '@flywheel/proto/flywheel/scheduler/v1/scheduler_pb.js';
import type { Collection, DocumentStore } from '@flywheel/store';
import { type PrincipalRecord, toPrincipalMessage } from '../records/principals.ts';

/** A trigger rule, as stored (id = name). Durations in ms, times epoch ms. */
export interface TriggerRuleRecord {
  name: string;
  /** Distinguishes this rule from an earlier one of the same name: its cooldowns do not carry over. */
  uid: string;
  team: string;
  /** '' when the rule listens to an outside topic. */
  eventType: string;
  /** The outside topic listened to; '' (or absent, in records older than it) for an event type. */
  topic?: string;
  match: Record<string, string>;
  expression: string;
  pipelineName: string;
  parameters: JsonObject;
  key: string;
  /** 0 = request at once. */
  debounceMs: number;
  /** 0 = no cooldown. */
  cooldownMs: number;
  enabled: boolean;
  createTime: number;
  updateTime: number;
  createdBy: PrincipalRecord;
  updatedBy: PrincipalRecord;
}

export function openTriggerRules(store: DocumentStore): Collection<TriggerRuleRecord> {
  return store.collection<TriggerRuleRecord>('trigger-rules', {
    indexes: ['pipelineName', 'eventType', 'team', 'topic'],
  });
}

export function toTriggerRuleMessage(record: TriggerRuleRecord): TriggerRule {
  return create(TriggerRuleSchema, {
    name: record.name,
    team: record.team,
    eventType: record.eventType,
    topic: record.topic ?? '',
    filter: { match: record.match, expression: record.expression },
    pipelineName: record.pipelineName,
    parameters: record.parameters,
    key: record.key,
    ...(record.debounceMs > 0 ? { debounce: durationFromMs(record.debounceMs) } : {}),
    ...(record.cooldownMs > 0 ? { cooldown: durationFromMs(record.cooldownMs) } : {}),
    enabled: record.enabled,
    audit: create(AuditSchema, {
      createTime: timestampFromMs(record.createTime),
      updateTime: timestampFromMs(record.updateTime),
      createdBy: toPrincipalMessage(record.createdBy),
      updatedBy: toPrincipalMessage(record.updatedBy),
    }),
  });
}
