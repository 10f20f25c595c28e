import { AppError, type CallOptions, isAppError } from '@flywheel/core';
import type { Collection } from '@flywheel/store';
import { maxListed } from '../records/paging.ts';
import type { TriggerKeyRecord } from './trigger-key-records.ts';
import type { TriggerRuleRecord } from './trigger-rule-records.ts';

/**
 * Deletes a trigger rule and the cooldown state of its keys. A debounced match still waiting is
 * left to the ticker, which records it as suppressed (INVALID: rule deleted). Throws `not_found`
 * naming `trigger_rule_name`.
 */
export function deleteTriggerRuleUseCase(deps: {
  triggerRules: Collection<TriggerRuleRecord>;
  triggerKeys: Collection<TriggerKeyRecord>;
}) {
  return async (name: string, options: CallOptions = {}): Promise<void> => {
    const doc = await deps.triggerRules.get(name, options);
    if (!doc) {
      throw new AppError('not_found', `trigger_rule_name: trigger rule "${name}" does not exist`, {
        field: 'trigger_rule_name',
      });
    }
    await deps.triggerRules.delete(name, options);
    await forgetTriggerKeys(deps.triggerKeys, doc.data, options);
  };
}

/** Deletes the key states of a deleted rule, except those holding a waiting match (the ticker settles them). */
export async function forgetTriggerKeys(
  triggerKeys: Collection<TriggerKeyRecord>,
  rule: Pick<TriggerRuleRecord, 'name' | 'uid'>,
  options: CallOptions,
): Promise<void> {
  for (const key of await triggerKeys.find({ ruleName: rule.name }, { ...options, limit: maxListed })) {
    if (key.data.ruleUid !== rule.uid || key.data.hasPending) continue;
    try {
      await triggerKeys.delete(key.id, { ...options, expectedVersion: key.version });
    } catch (error) {
      // A match in flight wrote it meanwhile: the key stays behind, harmless, as a rule of the
      // same name gets a new uid and so other keys.
      if (!isAppError(error, 'aborted')) throw error;
    }
  }
}
