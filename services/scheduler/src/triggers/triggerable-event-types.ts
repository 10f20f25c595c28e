import { eventTypes } from '@flywheel/events';

/**
 * Event types the scheduler does not consume: telemetry too voluminous to scan
 * (`prediction.logged`), and its own decisions, which a rule must not feed back into.
 */
const notTriggerable: ReadonlySet<string> = new Set([
  'prediction.logged',
  'pipeline.run-requested',
  'run.suppressed',
]);

/** Every Flywheel event type a trigger rule may listen to, sorted. */
export function triggerableEventTypes(): string[] {
  return eventTypes().filter((type) => !notTriggerable.has(type));
}
