import { type CallOptions, isAppError } from '@flywheel/core';
import { type CloudEvent, decodeEvent } from '@flywheel/events';
import { PipelineRunFailedSchema } from '@flywheel/proto/flywheel/events/v1/pipeline_pb.js';
import type { Collection } from '@flywheel/store';
import type { TriggerKeyRecord } from './trigger-key-records.ts';

/** Compare-and-set attempts per key before giving up (retriably: the event comes again). */
const maxAttempts = 10;

/**
 * On `pipeline.run-failed` (failed, timed out or cancelled): the trigger key whose last granted run
 * this was gets its cooldown back, so the next match — the condition is still true — starts a
 * retry run instead of being suppressed for the rest of the window. A debounced match waiting on
 * the key is kept; a run that succeeded keeps its cooldown (nothing consumes that here). Only the
 * key's latest run frees it: a failure of an older run never clears a newer run's cooldown.
 * Compare-and-set; safe to run twice. Resolves whether a key had granted this run.
 */
export function releaseTriggerCooldownUseCase(deps: { triggerKeys: Collection<TriggerKeyRecord> }) {
  return async (event: CloudEvent, options: CallOptions = {}): Promise<boolean> => {
    const { runId } = decodeEvent(PipelineRunFailedSchema, event);
    if (!runId) return false;
    const keys = await deps.triggerKeys.find({ lastRunId: runId }, { ...options, limit: 100 });
    for (const found of keys) {
      let doc: typeof found | undefined = found;
      for (let attempt = 1; doc && attempt <= maxAttempts; attempt++) {
        if (doc.data.lastRunId !== runId || doc.data.cooldownUntil === 0) break;
        try {
          await deps.triggerKeys.put(
            doc.id,
            { ...doc.data, cooldownUntil: 0 },
            { ...options, expectedVersion: doc.version },
          );
          break;
        } catch (error) {
          // A match or the ticker wrote the key meanwhile: decide again on what it wrote.
          if (!isAppError(error, 'aborted') || attempt === maxAttempts) throw error;
          doc = await deps.triggerKeys.get(doc.id, options);
        }
      }
    }
    return keys.length > 0;
  };
}
