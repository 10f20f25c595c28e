import type { EventHandler } from '@flywheel/bus';
import { AppError, type CallOptions, type Logger } from '@flywheel/core';
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
  const running = new Map<string, { stop(): Promise<void> }>();
  let queue: Promise<unknown> = Promise.resolve();
  let closed = false;

  const reconcileNow = async (options: CallOptions): Promise<string[]> => {
    if (closed) return [];
    const rules = await deps.triggerRules.find({}, { ...options, limit: maxRules });
    const wanted = new Set(rules.map((doc) => doc.data.topic ?? '').filter((topic) => topic !== ''));
    for (const [topic, consumer] of running) {
      if (wanted.has(topic)) continue;
      running.delete(topic);
      await consumer.stop();
      deps.log.info('outside topic consumer stopped', { topic, group: topicGroupOf(topic) });
    }
    for (const topic of wanted) {
      if (running.has(topic) || closed) continue;
      running.set(topic, await deps.start(topicGroupOf(topic), topic, deps.handlerFor(topic)));
      deps.log.info('outside topic consumer started', { topic, group: topicGroupOf(topic) });
    }
    return [...running.keys()];
  };

  return {
    reconcile: (options = {}) => {
      const next = queue.then(() => reconcileNow(options));
      queue = next.catch((error: unknown) =>
        deps.log.warn('outside topic consumers not reconciled', { error: AppError.from(error).message }),
      );
      return next;
    },
    close: async () => {
      closed = true;
      await queue;
      await Promise.all([...running.values()].map((consumer) => consumer.stop()));
      running.clear();
    },
  };
}
