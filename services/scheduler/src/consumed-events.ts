import { runEndedTypes } from './schedules/release-schedule-run.ts';
import { triggerableEventTypes } from './triggers/triggerable-event-types.ts';

export { parseTriggerTopics, triggerTopicsSetting } from './triggers/trigger-topics.ts';

/**
 * What the scheduler consumes, per consumer (its group is the service's name): every triggerable
 * event type, run outcomes (to release schedules), and its own decisions (to keep the history).
 * The wiring subscribes with it and the Kafka ACLs (`scripts/kafka-acls.ts`) grant READ on it:
 * one list, so the two cannot drift. Outside topics rules name are read too, each in its own
 * group: the grants take them from `FLYWHEEL_SCHEDULER_TRIGGER_TOPICS` (parseTriggerTopics), the
 * setting that also bounds which topics rules may name.
 */
export function schedulerConsumedEvents(): { readonly triggers: readonly string[] } {
  return {
    triggers: [
      ...new Set([...triggerableEventTypes(), ...runEndedTypes, 'pipeline.run-requested', 'run.suppressed']),
    ],
  };
}
