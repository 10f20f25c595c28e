import { histogramOf, type MetricsRegistry } from '@flywheel/metrics';
import type { ResolvedVersion } from '../deployments/model-resolver.ts';

/** Upper bounds (s) of `flywheel_loop_lead_time_seconds`: half a second (a loop with a tiny model) to 4 h. */
export const leadTimeBuckets: readonly number[] = [
  0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14_400,
];

/**
 * The closed loop's lead time as a histogram, `flywheel_loop_lead_time_seconds{model, trigger_event}`:
 * from the event that started the version's producing run (drift.detected's CloudEvent time, as
 * monitoring stamped it) to the version taking all the traffic: swapped in, or under a canary
 * rollout policy its canary promoted (automatically or by PromoteRollout). Versions that no trigger rule
 * produced (manual runs, registered by hand) are not observed. Labels stay few: the model and the
 * event type, never the version or a run id.
 */
export function loopLeadTimeObserver(
  registry: MetricsRegistry,
): (rollout: { resolved: ResolvedVersion; liveAt: Date }) => void {
  const seconds = histogramOf(registry, {
    name: 'flywheel_loop_lead_time_seconds',
    help: 'Closed-loop lead time: the triggering event (e.g. drift.detected) to the new version serving, seconds.',
    labelNames: ['model', 'trigger_event'],
    buckets: leadTimeBuckets,
  });
  return ({ resolved, liveAt }) => {
    const trigger = resolved.trigger;
    if (!trigger) return;
    // Clocks of two hosts may disagree by a little; a lead time is never negative.
    const value = Math.max(0, (liveAt.getTime() - trigger.timeMs) / 1000);
    seconds.observe({ model: resolved.modelName, trigger_event: trigger.eventType }, value);
  };
}
