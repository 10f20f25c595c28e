import { createHash } from 'node:crypto';
import type { JsonObject } from '@bufbuild/protobuf';
import type { Collection, DocumentStore } from '@flywheel/store';
import type { TriggerRuleRecord } from './trigger-rule-records.ts';

/** A match waiting for its debounce window to end. */
export interface PendingMatch {
  runRequestId: string;
  pipelineName: string;
  team: string;
  runId: string;
  /** Epoch ms: fires once the clock passes it, unless a later match replaced it. */
  dueAt: number;
  /** Resolved run parameters. */
  parameters: JsonObject;
  /** The RunTrigger (protobuf JSON) of the matched event. */
  trigger: JsonObject;
  requestTime: number;
}

/**
 * The debounce and cooldown state of one trigger rule for one key (e.g. one model). Every
 * decision that starts a run, or replaces a debounced match, is a compare-and-set write of this
 * document carrying its event in the outbox, so concurrent matches and scheduler replicas agree.
 */
export interface TriggerKeyRecord {
  ruleName: string;
  ruleUid: string;
  key: string;
  /** Epoch ms of the last run requested; 0 before the first. */
  lastRunAt: number;
  /** Epoch ms until which matches are suppressed (COOLDOWN); 0 when none. */
  cooldownUntil: number;
  lastRunRequestId: string;
  lastRunId: string;
  /** Ids of the latest events decided here, so a redelivered event is never decided twice. */
  recentEventIds: string[];
  pending: PendingMatch | null;
  /** Indexed twins of `pending`, for the ticker: `find({ hasPending: true })` sorted by due time. */
  hasPending: boolean;
  pendingDueAt: number;
}

/** How many event ids a key remembers for redelivery checks (the bus dedupes too). */
export const rememberedEventIds = 64;

export function openTriggerKeys(store: DocumentStore): Collection<TriggerKeyRecord> {
  return store.collection<TriggerKeyRecord>('trigger-keys', {
    indexes: ['hasPending', 'pendingDueAt', 'ruleName', 'lastRunId'],
  });
}

/** The document id of a rule's key; long keys are hashed to keep ids short. */
export function triggerKeyId(rule: Pick<TriggerRuleRecord, 'name' | 'uid'>, key: string): string {
  const part = key.length <= 200 ? key : `sha256:${createHash('sha256').update(key).digest('hex')}`;
  return `${rule.name}/${rule.uid}/${part}`;
}

/** A fresh state for a key that has never matched. */
export function newTriggerKey(rule: Pick<TriggerRuleRecord, 'name' | 'uid'>, key: string): TriggerKeyRecord {
  return {
    ruleName: rule.name,
    ruleUid: rule.uid,
    key,
    lastRunAt: 0,
    cooldownUntil: 0,
    lastRunRequestId: '',
    lastRunId: '',
    recentEventIds: [],
    pending: null,
    hasPending: false,
    pendingDueAt: 0,
  };
}

/** `ids` with `id` added, keeping the latest {@link rememberedEventIds}. */
export function remember(ids: readonly string[], id: string): string[] {
  return [...ids, id].slice(-rememberedEventIds);
}
