import { createConsumerSet, type EventHandler, type WantedConsumer } from '@flywheel/bus';
import type { CallOptions, Logger } from '@flywheel/core';
import type { Collection } from '@flywheel/store';
import type { TriggerRuleRecord } from './trigger-rule-records.ts';
import { topicGroupOf } from './trigger-topics.ts';

/** Starts one consumer of an outside topic (records: 'any'); what `ServiceHost.consume` gives. */
export type StartTopicConsumer = (
  group: string,
  topic: string,
  handler: EventHandler,
) => Promise<{ stop(): Promise<void> }>;

/** The consumers of the outside topics rules name, kept in step with the stored rules. */
export interface TopicConsumers {
  /**
   * Makes the running consumers match the stored rules: one per outside topic some rule names
   * (group `scheduler.topic.<topic>`, shared by the replicas), started when missing, stopped when
   * no rule names it any more. Calls are serialized. Resolves the topics consumed.
   */
  reconcile(options?: CallOptions): Promise<string[]>;
  /** Stops every consumer. */
  close(): Promise<void>;
}

/** Rules read per reconcile: more rules than this on outside topics are not all seen. */
const maxRules = 10_000;

export function createTopicConsumers(deps: {
  triggerRules: Collection<TriggerRuleRecord>;
  start: StartTopicConsumer;
  handlerFor(topic: string): EventHandler;
  log: Logger;
}): TopicConsumers {
  return createConsumerSet({
    wanted: async (options) => {
      const rules = await deps.triggerRules.find({}, { ...options, limit: maxRules });
      const wanted = new Map<string, WantedConsumer>();
      for (const { data } of rules) {
        if (data.topic) wanted.set(data.topic, { group: topicGroupOf(data.topic), topic: data.topic });
      }
      return wanted;
    },
    start: (topic, { group }) => deps.start(group, topic, deps.handlerFor(topic)),
    log: deps.log,
    noun: 'outside topic consumer',
    keyField: 'topic',
  });
}
