import { AppError, type CallOptions, isAppError, type Logger } from '@flywheel/core';
import { resolveRunParameters } from '@flywheel/pipelines';
import { SuppressionReason } from '@flywheel/proto/flywheel/common/v1/trigger_pb.js';
import type { Collection, Doc, OutboxEntry } from '@flywheel/store';
import { type PipelineCollections, specOf } from '../pipelines/pipeline-records.ts';
import { schedulerPrincipal } from '../records/principals.ts';
import { runRequestedEntry, runSuppressedEntry, triggerFromJson } from '../runs/run-request-events.ts';
import type { TriggerKeyRecord } from './trigger-key-records.ts';
import type { TriggerRuleRecord } from './trigger-rule-records.ts';

export interface FireDueDebouncesDeps {
  pipelines: PipelineCollections;
  triggerRules: Collection<TriggerRuleRecord>;
  triggerKeys: Collection<TriggerKeyRecord>;
  now: () => number;
  log: Logger;
}

/** Waiting matches looked at per pass. */
const batchSize = 100;

/**
 * Requests the run of every debounced match whose quiet period has passed: one compare-and-set
 * write of its key that clears the wait, starts the cooldown and carries `pipeline.run-requested`
 * (with the run id allocated at match time) — or `run.suppressed` INVALID when the rule was
 * deleted or the pipeline no longer takes the parameters. A match replaced meanwhile, or fired by
 * another replica, loses the compare-and-set and is left alone. Resolves with the number fired.
 */
export function fireDueDebouncesUseCase(deps: FireDueDebouncesDeps) {
  const fire = async (doc: Doc<TriggerKeyRecord>, now: number, options: CallOptions): Promise<boolean> => {
    const state = doc.data;
    const pending = state.pending;
    if (!pending) return false;
    const trigger = triggerFromJson(pending.trigger);
    const principal = schedulerPrincipal(pending.team);
    const cleared: TriggerKeyRecord = { ...state, pending: null, hasPending: false, pendingDueAt: 0 };
    let next = cleared;
    let entry: OutboxEntry;
    try {
      const rule = await deps.triggerRules.get(state.ruleName, options);
      if (!rule || rule.data.uid !== state.ruleUid) {
        throw new AppError(
          'failed_precondition',
          `trigger rule "${state.ruleName}" was deleted before its debounce window ended`,
        );
      }
      const head = await deps.pipelines.heads.get(pending.pipelineName, options);
      if (!head)
        throw new AppError('failed_precondition', `pipeline "${pending.pipelineName}" does not exist`);
      const parameters = resolveRunParameters(specOf(head.data), pending.parameters, 'parameters');
      entry = runRequestedEntry({
        runRequestId: pending.runRequestId,
        runId: pending.runId,
        pipeline: head.data,
        parameters,
        team: pending.team,
        trigger,
        principal,
        requestTime: now,
      });
      next = {
        ...cleared,
        lastRunAt: now,
        cooldownUntil: rule.data.cooldownMs > 0 ? now + rule.data.cooldownMs : 0,
        lastRunRequestId: pending.runRequestId,
        lastRunId: pending.runId,
      };
    } catch (error) {
      if (!isAppError(error, 'invalid_argument') && !isAppError(error, 'failed_precondition')) throw error;
      entry = runSuppressedEntry({
        runRequestId: pending.runRequestId,
        pipelineName: pending.pipelineName,
        team: pending.team,
        trigger,
        reason: SuppressionReason.INVALID,
        detail: error.message,
        suppressedUntil: 0,
        principal,
        requestTime: now,
      });
    }
    try {
      await deps.triggerKeys.put(doc.id, next, { ...options, expectedVersion: doc.version, outbox: [entry] });
      return true;
    } catch (error) {
      if (isAppError(error, 'aborted') || isAppError(error, 'not_found')) return false;
      throw error;
    }
  };

  return async (options: CallOptions = {}): Promise<number> => {
    const now = deps.now();
    const candidates = await deps.triggerKeys.find(
      { hasPending: true },
      { ...options, sortBy: 'pendingDueAt', limit: batchSize },
    );
    let fired = 0;
    for (const doc of candidates) {
      if (doc.data.pendingDueAt > now) break;
      try {
        if (await fire(doc, now, options)) fired += 1;
      } catch (error) {
        deps.log.warn('could not fire a debounced match; trying again next pass', {
          key: doc.id,
          error: AppError.from(error).message,
        });
      }
    }
    return fired;
  };
}
