import type { EventHandler } from '@flywheel/bus';
import { AppError, type Logger } from '@flywheel/core';
import type { CloudEvent } from '@flywheel/events';
import type { Collection } from '@flywheel/store';
import { maxListed } from '../records/paging.ts';
import { schedulerSource } from '../runs/run-request-events.ts';
import { runEndedTypes } from '../schedules/release-schedule-run.ts';
import type { MatchDecision } from '../triggers/decide-trigger-match.ts';
import type { EventFilters } from '../triggers/event-filter.ts';
import { type EventView, jsonViewOf, viewOf } from '../triggers/event-view.ts';
import type { TriggerRuleRecord } from '../triggers/trigger-rule-records.ts';

export interface HandleEventDeps {
  triggerRules: Collection<TriggerRuleRecord>;
  filters: EventFilters;
  decide(
    rule: TriggerRuleRecord,
    view: EventView,
    options: { signal: AbortSignal },
    filterProblem?: string,
  ): Promise<MatchDecision>;
  recordRunRequest(event: CloudEvent, options: { signal: AbortSignal }): Promise<void>;
  releaseScheduleRun(event: CloudEvent, options: { signal: AbortSignal }): Promise<void>;
  /** Frees the cooldown a failed run took; resolves whether a trigger key had granted it. */
  releaseTriggerCooldown(event: CloudEvent, options: { signal: AbortSignal }): Promise<boolean>;
  recordRunFailure(
    event: CloudEvent,
    options: { signal: AbortSignal; expectRequest?: boolean },
  ): Promise<void>;
  log: Logger;
}

/**
 * The scheduler's consumer: records the outcome of its own decisions, frees `skip_if_running`
 * schedules when their run ends, gives a failed run's trigger key its cooldown back and records the
 * failure on the run request, and hands every event to the trigger rules listening to its type
 * — each rule whose filter matches gets a decision. A filter expression that cannot be evaluated
 * on the event is recorded as a suppressed (INVALID) request. Decoding failures are
 * `invalid_argument` (dead-lettered); every step is safe to repeat on redelivery.
 */
export function createEventHandler(deps: HandleEventDeps): EventHandler {
  return async (event, context) => {
    const options = { signal: context.signal };
    if (
      event.source === schedulerSource &&
      (event.type === 'pipeline.run-requested' || event.type === 'run.suppressed')
    ) {
      await deps.recordRunRequest(event, options);
      return;
    }
    if (runEndedTypes.includes(event.type)) await deps.releaseScheduleRun(event, options);
    if (event.type === 'pipeline.run-failed') {
      const fromTrigger = await deps.releaseTriggerCooldown(event, options);
      await deps.recordRunFailure(event, { ...options, expectRequest: fromTrigger });
    }
    const rules = await deps.triggerRules.find({ eventType: event.type }, { ...options, limit: maxListed });
    if (rules.length === 0) return;
    await decideRules(deps, rules, viewOf(event), options);
  };
}

/**
 * The consumer of one outside topic (`records: 'any'`): reads each record's JSON and hands it to
 * the rules naming the topic, as {@link createEventHandler} does. A record that is not JSON is
 * `invalid_argument` (dead-lettered to `<topic>.dlq` with the reason), whether or not a rule would
 * have matched it.
 */
export function createTopicEventHandler(
  deps: Pick<HandleEventDeps, 'triggerRules' | 'filters' | 'decide' | 'log'>,
  topic: string,
): EventHandler {
  return async (event, context) => {
    const options = { signal: context.signal };
    const view = jsonViewOf(event, topic);
    const rules = await deps.triggerRules.find({ topic }, { ...options, limit: maxListed });
    await decideRules(deps, rules, view, options);
  };
}

async function decideRules(
  deps: Pick<HandleEventDeps, 'filters' | 'decide' | 'log'>,
  rules: readonly { data: TriggerRuleRecord }[],
  view: EventView,
  options: { signal: AbortSignal },
): Promise<void> {
  for (const { data: rule } of rules) {
    let matched: boolean;
    let problem: string | undefined;
    try {
      matched = deps.filters.matches(rule, view);
    } catch (error) {
      matched = true;
      problem = AppError.from(error).message;
    }
    if (!matched) continue;
    const decision = await deps.decide(rule, view, options, problem);
    deps.log.debug('trigger rule matched', {
      rule: rule.name,
      eventId: view.event.id,
      eventType: view.event.type,
      decision,
    });
  }
}
