import { create, type JsonObject, type JsonValue } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { AppError, type CallOptions, isAppError, type Logger } from '@flywheel/core';
import { renderObject, renderTemplate, resolveRunParameters } from '@flywheel/pipelines';
import {
  RunSource,
  type RunTrigger,
  RunTriggerSchema,
  SuppressionReason,
} from '@flywheel/proto/flywheel/common/v1/trigger_pb.js';
import { RunRequestStatus } from '@flywheel/proto/flywheel/scheduler/v1/scheduler_pb.js';
import type { Collection, OutboxEntry } from '@flywheel/store';
import { type PipelineCollections, type PipelineRecord, specOf } from '../pipelines/pipeline-records.ts';
import { schedulerPrincipal } from '../records/principals.ts';
import { runRequestedEntry, runSuppressedEntry, triggerFromJson } from '../runs/run-request-events.ts';
import {
  newRunId,
  type RunRequestRecord,
  runRequestIdFor,
  runRequestRecord,
  triggerToJson,
} from '../runs/run-request-records.ts';
import { aggregateKeyOf, type EventView, valueAt } from './event-view.ts';
import {
  newTriggerKey,
  type PendingMatch,
  remember,
  type TriggerKeyRecord,
  triggerKeyId,
} from './trigger-key-records.ts';
import type { TriggerRuleRecord } from './trigger-rule-records.ts';

export interface DecideTriggerMatchDeps {
  pipelines: PipelineCollections;
  triggerKeys: Collection<TriggerKeyRecord>;
  runRequests: Collection<RunRequestRecord>;
  now: () => number;
  log: Logger;
}

/** What became of a match. */
export type MatchDecision = 'requested' | 'pending' | 'suppressed' | 'already-decided';

/** Compare-and-set attempts before giving up (retriably) on a key under heavy contention. */
const maxAttempts = 50;

/**
 * Decides what an event that matched `rule` does, atomically per (rule, key):
 * - disabled rule → suppressed PAUSED; key, templates, pipeline or parameters unusable (or
 *   `filterProblem` given) → suppressed INVALID;
 * - the key is in its cooldown → suppressed COOLDOWN with `suppressed_until`;
 * - the rule debounces → the match waits (PENDING) and replaces the one waiting, which is
 *   suppressed DEBOUNCED; the ticker requests the run once the window passes;
 * - else → `pipeline.run-requested` with a new run id, and the key's cooldown starts.
 * A grant, a debounce and its replacement are one compare-and-set write of the key's document with
 * their events in its outbox; a suppression is one create of its run request record with its
 * event. Run request ids derive from (rule, event id), and the key remembers the events it decided,
 * so an event decided before — a redelivery — changes nothing. Throws `aborted` (retriable) only
 * after {@link maxAttempts} conflicting writes.
 */
export function decideTriggerMatchUseCase(deps: DecideTriggerMatchDeps) {
  return async (
    rule: TriggerRuleRecord,
    view: EventView,
    options: CallOptions = {},
    filterProblem?: string,
  ): Promise<MatchDecision> => {
    const now = deps.now();
    const { event } = view;
    const runRequestId = runRequestIdFor('trigger', rule.uid, event.id);
    if (await deps.runRequests.get(runRequestId, options)) return 'already-decided';
    const runId = newRunId();
    const principal = schedulerPrincipal(rule.team);
    const eventTime = Date.parse(event.time);
    const triggerFor = (key: string): RunTrigger =>
      create(RunTriggerSchema, {
        source: RunSource.TRIGGER,
        triggerRuleName: rule.name,
        event: {
          id: event.id,
          type: event.type,
          source: event.source,
          subject: event.subject ?? '',
          // The loop's lead time starts at the event's occurrence; it travels with the run to the version.
          ...(Number.isFinite(eventTime) ? { time: timestampFromMs(eventTime) } : {}),
        },
        key,
      });

    const suppress = async (
      reason: SuppressionReason,
      detail: string,
      key: string,
      extra: { suppressedUntil?: number; parameters?: JsonObject; pipelineRevision?: number } = {},
    ): Promise<MatchDecision> => {
      const trigger = triggerFor(key);
      const record = runRequestRecord({
        id: runRequestId,
        runId: '',
        pipelineName: rule.pipelineName,
        pipelineRevision: extra.pipelineRevision ?? 0,
        parameters: extra.parameters ?? {},
        team: rule.team,
        trigger,
        status: RunRequestStatus.SUPPRESSED,
        suppressionReason: reason,
        detail,
        suppressedUntil: extra.suppressedUntil ?? 0,
        requestTime: now,
        principal,
      });
      const entry = runSuppressedEntry({
        runRequestId,
        pipelineName: rule.pipelineName,
        team: rule.team,
        trigger,
        reason,
        detail,
        suppressedUntil: extra.suppressedUntil ?? 0,
        principal,
        requestTime: now,
      });
      try {
        await deps.runRequests.put(runRequestId, record, { ...options, expectedVersion: 0, outbox: [entry] });
        return 'suppressed';
      } catch (error) {
        if (isAppError(error, 'already_exists')) return 'already-decided';
        throw error;
      }
    };

    if (filterProblem !== undefined)
      return suppress(SuppressionReason.INVALID, filterProblem, aggregateKeyOf(view));
    if (!rule.enabled) {
      return suppress(
        SuppressionReason.PAUSED,
        `trigger rule "${rule.name}" is disabled (it was created with enabled: false)`,
        aggregateKeyOf(view),
      );
    }

    const resolve = (reference: string): JsonValue | undefined => {
      if (reference.startsWith('event.')) return valueAt(view, reference.slice('event.'.length));
      if (reference === 'run.id') return runId;
      if (reference === 'run.pipeline_name') return rule.pipelineName;
      return undefined;
    };
    let key: string;
    let pipeline: PipelineRecord;
    let parameters: JsonObject;
    try {
      key = keyOf(rule, view, resolve);
    } catch (error) {
      return suppress(SuppressionReason.INVALID, AppError.from(error).message, aggregateKeyOf(view));
    }
    try {
      const head = await deps.pipelines.heads.get(rule.pipelineName, options);
      if (!head) throw new AppError('failed_precondition', `pipeline "${rule.pipelineName}" does not exist`);
      pipeline = head.data;
      const rendered = renderObject(rule.parameters, resolve, 'parameters');
      parameters = resolveRunParameters(specOf(pipeline), rendered, 'parameters');
    } catch (error) {
      if (!isAppError(error, 'invalid_argument') && !isAppError(error, 'failed_precondition')) throw error;
      return suppress(SuppressionReason.INVALID, error.message, key);
    }

    const trigger = triggerFor(key);
    const keyId = triggerKeyId(rule, key);
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const doc = await deps.triggerKeys.get(keyId, options);
      const state = doc?.data ?? newTriggerKey(rule, key);
      if (state.recentEventIds.includes(event.id)) return 'already-decided';
      if (state.cooldownUntil > now) {
        return suppress(
          SuppressionReason.COOLDOWN,
          `cooldown for key "${key}" until ${new Date(state.cooldownUntil).toISOString()}`,
          key,
          { suppressedUntil: state.cooldownUntil, parameters, pipelineRevision: pipeline.revision },
        );
      }
      const writeOptions = { ...options, expectedVersion: doc?.version ?? 0 };
      const recentEventIds = remember(state.recentEventIds, event.id);
      try {
        if (rule.debounceMs > 0) {
          const pending: PendingMatch = {
            runRequestId,
            pipelineName: rule.pipelineName,
            team: rule.team,
            runId,
            dueAt: now + rule.debounceMs,
            parameters,
            trigger: triggerToJson(trigger),
            requestTime: now,
          };
          const outbox: OutboxEntry[] = state.pending ? [replacedEntry(state.pending, event.id, now)] : [];
          const next: TriggerKeyRecord = {
            ...state,
            recentEventIds,
            pending,
            hasPending: true,
            pendingDueAt: pending.dueAt,
          };
          await deps.triggerKeys.put(keyId, next, { ...writeOptions, outbox });
          await recordPending(deps.runRequests, pending, pipeline, principal, options);
          return 'pending';
        }
        const next: TriggerKeyRecord = {
          ...state,
          recentEventIds,
          lastRunAt: now,
          cooldownUntil: rule.cooldownMs > 0 ? now + rule.cooldownMs : 0,
          lastRunRequestId: runRequestId,
          lastRunId: runId,
        };
        const entry = runRequestedEntry({
          runRequestId,
          runId,
          pipeline,
          parameters,
          team: rule.team,
          trigger,
          principal,
          requestTime: now,
        });
        await deps.triggerKeys.put(keyId, next, { ...writeOptions, outbox: [entry] });
        return 'requested';
      } catch (error) {
        // Another match of this key, or another replica, wrote first: decide again on what it wrote.
        if (
          !isAppError(error, 'already_exists') &&
          !isAppError(error, 'aborted') &&
          !isAppError(error, 'not_found')
        ) {
          throw error;
        }
      }
    }
    throw new AppError(
      'aborted',
      `trigger rule "${rule.name}", key "${key}": too many concurrent decisions, try again`,
      {
        retriable: true,
      },
    );
  };
}

/** The debounce/cooldown key of a match: the rule's template or field path, else the event's aggregate key. */
function keyOf(
  rule: TriggerRuleRecord,
  view: EventView,
  resolve: (reference: string) => JsonValue | undefined,
): string {
  if (rule.key === '') return aggregateKeyOf(view);
  if (rule.key.includes('${')) {
    const value = renderTemplate(rule.key, resolve, 'key');
    return typeof value === 'string' ? value : JSON.stringify(value);
  }
  const value = valueAt(view, rule.key);
  if (value === undefined || value === null) {
    throw AppError.invalidArgument(
      'key',
      `event ${view.event.id} has no "${rule.key}" to key the cooldown by`,
    );
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** `run.suppressed` (DEBOUNCED) for a waiting match a later one replaced. */
function replacedEntry(pending: PendingMatch, byEventId: string, now: number): OutboxEntry {
  return runSuppressedEntry({
    runRequestId: pending.runRequestId,
    pipelineName: pending.pipelineName,
    team: pending.team,
    trigger: triggerFromJson(pending.trigger),
    reason: SuppressionReason.DEBOUNCED,
    detail: `replaced by a later match (event ${byEventId}) within the debounce window`,
    suppressedUntil: 0,
    principal: schedulerPrincipal(pending.team),
    requestTime: now,
  });
}

/**
 * The history record of a waiting match. Written after the key's document, so a crash in between
 * only delays the record: the event that ends the wait creates it. Never overwrites (the outcome
 * may already be recorded).
 */
async function recordPending(
  runRequests: Collection<RunRequestRecord>,
  pending: PendingMatch,
  pipeline: PipelineRecord,
  principal: RunRequestRecord['principal'],
  options: CallOptions,
): Promise<void> {
  const record = runRequestRecord({
    id: pending.runRequestId,
    runId: pending.runId,
    pipelineName: pending.pipelineName,
    pipelineRevision: pipeline.revision,
    parameters: pending.parameters,
    team: pending.team,
    trigger: triggerFromJson(pending.trigger),
    status: RunRequestStatus.PENDING,
    detail: `waiting until ${new Date(pending.dueAt).toISOString()} for the debounce window to end`,
    requestTime: pending.requestTime,
    principal,
  });
  try {
    await runRequests.put(pending.runRequestId, record, { ...options, expectedVersion: 0 });
  } catch (error) {
    if (!isAppError(error, 'already_exists')) throw error;
  }
}
